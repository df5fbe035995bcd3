#!/usr/bin/env bash
# scripts/deps/mozpkix.sh - system packages for the mozilla::pkix oracle ("thunderbird" in
# tests/differential/oracles.py): g++ compiles the vendored lib/mozpkix of Debian's nss source
# (tests/differential/oracles_src/mozpkix) with the harness; libnss3-dev (found by pkg-config)
# gives it NSS's crypto (pkixnss.cpp); node runs the WHATWG URL host stage.  Node is installed
# only when `node` is missing (the machine may provide a newer one).  Idempotent, as root.

# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
if command -v node >/dev/null 2>&1; then node_pkg=(); else node_pkg=(nodejs); fi
apt_ensure mozpkix.sh g++ libc6-dev pkg-config libnss3-dev "${node_pkg[@]}"
