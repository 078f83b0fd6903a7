#!/usr/bin/env bash
# The test suite against the newest release of every runtime dependency
# (docs/dependencies.md). A fresh environment in .venv-latest (or
# $FLASHCARDS_LATEST_VENV), the project with its test extra, every dependency
# upgraded to its newest release, their versions printed, then the README's test
# command as .ci/run runs it. Arguments go to pytest: `-m "not slow"` for the fast
# lane. The exit status is pytest's.
#
# Not part of .ci/run: it needs the package index at the moment it runs, and a
# new release that breaks something is a signal to act on, not a red main.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${FLASHCARDS_LATEST_VENV:-.venv-latest}
rm -rf "$venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
python3 -m venv "$venv"
"$venv/bin/pip" install --upgrade --upgrade-strategy eager -e '.[test]'
echo "Runtime dependencies (pyproject.toml [project] dependencies), as installed:"
"$venv/bin/python" - <<'PYTHON'
import re
from importlib.metadata import PackageNotFoundError, requires, version

for requirement in requires("flashcards") or []:
    if "extra ==" in requirement:
        continue  # the optional and test extras: not runtime dependencies
    name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
    try:
        print(f"  {name}=={version(name)}    (wants {requirement})")
    except PackageNotFoundError:
        print(f"  {name}: not installed here    (wants {requirement})")
PYTHON
"$venv/bin/pytest" "$@"
