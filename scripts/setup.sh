#!/usr/bin/env bash
# Set up mailcert's Python environment in .venv (and, with --test, every package the test
# suite needs: Dovecot, Postfix, Pebble, the TLS libraries the profiles are checked against).
# Safe to run again: each step is a quick no-op when already done.  Debian 12, as root.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

if [ "$want_tests" = 1 ]; then
  for dep in scripts/deps/*.sh; do
    [ -e "$dep" ] || continue
    case $(basename "$dep") in _*) continue ;; esac   # sourced helpers, not install steps
    echo "== deps: $dep" >&2
    bash "$dep"
  done
fi

PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "mailcert needs Python 3.11 or newer; $("$PY" --version 2>&1) found (set PYTHON=...)" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extra=""
[ "$want_tests" = 1 ] && extra="[test]"
stamp=".venv/.installed$extra"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra"
  touch "$stamp"
fi
# An editable install leaves bytecode to the first run, which never writes it where
# PYTHONDONTWRITEBYTECODE is set: compile now, as a regular install does (start-up time).
.venv/bin/python -m compileall -q src/mailcert >/dev/null
