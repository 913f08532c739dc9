# shellcheck shell=bash
# Helpers shared by scripts/run, scripts/test and .ci/run. Source it, don't run it.
# Callers are expected to have done `set -euo pipefail` and cd'd to the repo root.

VENV=.venv

die() {
    echo "error: $*" >&2
    exit 1
}

# Print the first interpreter that is Python >= 3.11 (pyproject's requires-python).
find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Create .venv unless a working one exists. A venv whose interpreter vanished or
# that has no pip (e.g. made while python3-venv was missing) is rebuilt, not reused.
ensure_venv() {
    if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        return 0
    fi
    local python
    python=$(find_python) || die "no Python >= 3.11 found (tried python3.13, python3.12, python3.11, python3)"
    echo "creating $VENV with $python ($("$python" --version 2>&1))"
    rm -rf "$VENV"
    "$python" -m venv "$VENV" ||
        die "'$python -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv"
}

# pip install the project in editable mode, with optional extras ("" or "test").
# Skipped when a stamp shows this pyproject.toml was already installed with
# these extras; a "test" install also satisfies a plain one (it is a superset).
install_project() {
    local extras=${1:-}
    local hash stamp spec=.
    hash=$(sha256sum pyproject.toml | cut -d' ' -f1)
    stamp=$VENV/.installed-$hash${extras:+-$extras}
    if [[ -z $extras ]]; then
        compgen -G "$VENV/.installed-$hash*" >/dev/null && return 0
    else
        [[ -e $stamp ]] && return 0
        spec=".[$extras]"
    fi
    echo "installing $spec into $VENV (pyproject.toml changed or first run)"
    # -q hides progress but pip still prints errors; set -e stops us on failure.
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$spec"
    rm -f "$VENV"/.installed-*   # stamps for older pyproject.toml versions are stale
    touch "$stamp"
}

# Print the directory holding initdb/pg_ctl: PATH first, then the newest
# /usr/lib/postgresql/<version>/bin (Debian does not put them on PATH).
# Symlinks are resolved so sibling tools (createdb) come from the same version.
find_pg_bindir() {
    local initdb dir
    if initdb=$(command -v initdb 2>/dev/null); then
        dir=$(dirname "$(readlink -f "$initdb")")
        if [[ -x $dir/pg_ctl ]]; then
            echo "$dir"
            return 0
        fi
    fi
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
        if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}
