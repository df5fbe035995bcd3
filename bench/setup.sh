#!/usr/bin/env bash
# Tools the benchmarks compare mailcert with (not needed by the tests, so not in scripts/deps):
# testssl.sh and sslscan from Debian, sslyze in its own venv (it pins cryptography<47, which
# certbot/acme and mailcert's venv do not allow together).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export DEBIAN_FRONTEND=noninteractive
if ! command -v testssl >/dev/null || ! command -v sslscan >/dev/null; then
  apt-cache policy testssl.sh | grep -q 'Candidate: [0-9]' || apt-get update -q
  apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends testssl.sh sslscan bsdextrautils
fi
if [ ! -x bench/.venv-sslyze/bin/sslyze ]; then
  python3 -m venv bench/.venv-sslyze
  bench/.venv-sslyze/bin/pip install -q --disable-pip-version-check sslyze
fi
