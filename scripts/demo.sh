#!/usr/bin/env bash
# Set up .venv and run the KB958977 / SBS 2008 case end to end (mailcert demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/mailcert demo "$@"
