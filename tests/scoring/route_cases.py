"""The scoring part of the route permission table: every tests/scoring/cases_*.py, one file per
part of the API, each exporting CASES."""

from importlib import import_module
from pathlib import Path

CASES: dict = {}
for _path in sorted(Path(__file__).parent.glob("cases_*.py")):
    CASES.update(import_module(f"tests.scoring.{_path.stem}").CASES)
