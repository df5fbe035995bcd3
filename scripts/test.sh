#!/usr/bin/env bash
# Install what the tests need (apt packages, .venv) and run the whole test suite.
# Real Dovecot, Postfix and Pebble are started by the tests themselves, on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
