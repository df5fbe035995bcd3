#!/usr/bin/env bash
# scripts/deps/servers.sh - install the real servers the integration tests start privately:
# Dovecot (IMAP+POP3), Postfix, Pebble (+ pebble-challtestsrv), openssl, curl.
#
# Run as root on Debian 12 (bookworm), non-interactive, no stdin needed.  Safe to run again: when every
# package is already installed it returns in well under a second without touching apt/dpkg.
# May be executed (`bash scripts/deps/servers.sh`) or sourced (`. scripts/deps/servers.sh`); when sourced it
# neither changes the caller's shell options nor exits the caller's shell (everything runs in a subshell).
#
# Why each knob:
#   * postfix preseed "No configuration": no /etc/postfix/main.cf, nothing started, no interactive question.
#   * DPkg::Lock::Timeout=600: another apt/dpkg may be running on the machine (LAB.md pitfall 1); wait, don't fail.
#   * --no-install-recommends: keeps the install small (no exim/mailutils/etc. pulled in).
#   * `apt-get update` only when a package has no install candidate (fresh image with empty lists), because it
#     costs network time and is pointless when the lists are already there.
#   * Installs only the MISSING packages: naming already-installed ones (openssl, curl) would make apt upgrade
#     them (and libssl3) as a side effect on a shared machine.
#   * No systemd needed: the tests start private daemons with their own configs on high loopback ports.

# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
# before the install: a postfix package must not ask (or configure /etc/postfix) on a fresh machine
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
apt_ensure servers.sh dovecot-imapd dovecot-pop3d postfix pebble openssl curl
