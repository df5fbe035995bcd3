#!/usr/bin/env bash
# scripts/deps/scan.sh - system packages for the `mailcert scan` / `mailcert report` tests:
#   * postgresql: the server binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin). The tests start a
#     private cluster on a free loopback port as the `postgres` user; Debian's own cluster is never used
#     (no systemd here, and policy-rc.d keeps the package from starting it).
#   * chromium: the headless browser that renders the HTML report in the tests (--dump-dom, --screenshot).
#   * fonts-dejavu-core: a font, so the screenshot shows text and the SVG chart's labels have metrics.
#
# Run as root on Debian 12, non-interactive, no stdin needed. Idempotent: a fast no-op when everything is
# installed (see _apt.sh). May be executed or sourced.

# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
apt_ensure scan.sh postgresql chromium fonts-dejavu-core
