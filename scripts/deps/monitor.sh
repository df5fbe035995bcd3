#!/usr/bin/env bash
# scripts/deps/monitor.sh - what the monitoring and packaging tests need from Debian:
#   * icinga2-bin (+ icinga2-common): `icinga2 daemon -C` validates contrib/icinga2/mailcert.conf
#     with Icinga2's own config parser (no daemon is started, no systemd needed);
#   * nagios4-core: `nagios4 -v` validates contrib/nagios/mailcert.cfg the same way;
#   * man-db: `man -l` renders the generated man page;
#   * zsh: the zsh completion script is loaded and run by a real zsh (bash is always there;
#     bash-completion is not needed, the test loads the script into a plain bash).
# OCSP responder and stapling tests use `openssl` (installed by servers.sh).
# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
apt_ensure monitor.sh icinga2-bin nagios4-core man-db zsh
