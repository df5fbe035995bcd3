#!/usr/bin/env bash
# scripts/deps/gio.sh - GIO's TLS as Evolution uses it, for the "gio-chain" oracle
# (tests/differential/oracles_src/gio_client.py, run by chain_program.py gio): glib-networking
# (the GnuTLS backend GIO loads; without it GIO's TLS is a dummy that refuses everything) and
# python3-gi (Debian's python3 drives GIO through GObject introspection).  About 1 MB of
# packages when missing.  Idempotent, as root.
# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
apt_ensure gio.sh glib-networking python3-gi gir1.2-glib-2.0
