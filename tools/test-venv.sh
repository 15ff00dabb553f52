#!/usr/bin/env bash
# Creates (idempotently) .venv-test with the Python oracles the tests use (tools/test-requirements.txt:
# numpy, h5py, ...). tools/test.sh runs it; tests find the interpreter through SWINGPIPE_TEST_PYTHON
# (set by CMake to <repo>/.venv-test/bin/python) and skip with a message naming this script when it
# is absent (a hand-run ctest without the venv).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-test
req=tools/test-requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "test-venv: $venv is up to date"
  exit 0
fi
echo "test-venv: installing $(grep -c -v -E '^\s*(#|$)' "$req") package(s) into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" >"$stamp"
