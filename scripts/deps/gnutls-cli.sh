#!/usr/bin/env bash
# scripts/deps/gnutls-cli.sh - GnuTLS's own TLS client program for the whole-chain handshake
# oracle (tests/differential/oracles_src/chain_gnutls_cli.py: gnutls-cli against each served
# chain of the chain corpus).  On a machine with an older Debian point release of GnuTLS, apt
# brings libgnutls30 and its siblings to gnutls-bin's release with it (a stable security update).
#
# Run as root on Debian 12, non-interactive; a fast no-op when installed.

# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
apt_ensure gnutls-cli.sh gnutls-bin
