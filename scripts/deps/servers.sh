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

mailcert_deps_servers() (
  set -euo pipefail
  local pkgs=(dovecot-imapd dovecot-pop3d postfix pebble openssl curl)
  local missing=() p status cand
  for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $status == "ii "* ]] || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    echo "servers.sh: all installed (${pkgs[*]})" >&2
    return 0
  fi
  if [[ $(id -u) != 0 ]]; then
    echo "servers.sh: must run as root to install: ${missing[*]}" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

  local need_update=0
  for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z $cand || $cand == "(none)" ]]; then need_update=1; break; fi
  done
  if ((need_update)); then
    echo "servers.sh: no install candidate for some of ${missing[*]}: apt-get update" >&2
    apt-get update -q -o DPkg::Lock::Timeout=600 </dev/null
  fi

  echo "servers.sh: installing ${missing[*]}" >&2
  apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends \
    "${missing[@]}" </dev/null
)

mailcert_deps_servers
