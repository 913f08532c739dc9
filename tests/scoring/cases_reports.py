"""Who may export the self-assessment report (collected by tests/scoring/route_cases.py): everyone
of the community, as for the assessment it is made of. The case's assessment is final, so every
reader gets the report; a draft's report is the staff's only, as the draft itself (to everyone
else it does not exist)."""

from __future__ import annotations

from tests.permission_table import MEMBERS, Case
from tests.scoring.cases_assessments import ONE, assessment

CASES = {
    ("GET", f"{ONE}/report.xlsx"): Case(MEMBERS, params=assessment("final")),
    ("GET", f"{ONE}/report.html"): Case(MEMBERS, params=assessment("final")),
}
