#!/usr/bin/env bash
# Installs Schemathesis (the API fuzzer run by test/fuzz.test.ts) from PyPI into a virtualenv cached per user,
# and links its `st` command as .tools/bin/st. Idempotent: skipped when the pinned version is already there.
# SCHEMATHESIS_PATH, when set, is used instead and nothing is installed. Needs python3 (>= 3.9) with venv.
set -euo pipefail
cd "$(dirname "$0")/.."

version="4.32.5"
target=".tools/bin/st"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/stationflow/schemathesis-$version"

if [ -n "${SCHEMATHESIS_PATH:-}" ]; then
  [ -x "$SCHEMATHESIS_PATH" ] || { echo "SCHEMATHESIS_PATH=$SCHEMATHESIS_PATH is not an executable file" >&2; exit 1; }
  echo "Using SCHEMATHESIS_PATH=$SCHEMATHESIS_PATH"; exit 0
fi

mkdir -p .tools/bin
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/st" --version 2>/dev/null | grep -q "$version"; then
  python=""
  for candidate in python3.12 python3.11 python3.10 python3.9 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
      python=$candidate; break
    fi
  done
  [ -n "$python" ] || { echo "Schemathesis needs Python >= 3.9 with venv; none found" >&2; exit 1; }
  echo "Installing Schemathesis $version from PyPI into $venv (once)..."
  # a half-finished install (no working `st`) is removed and done again
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
fi
ln -sfn "$venv/bin/st" "$target"
echo "Schemathesis $("$target" --version 2>/dev/null | awk '{print $NF}') in $target"
