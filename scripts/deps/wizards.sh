#!/usr/bin/env bash
# scripts/deps/wizards.sh - install what the tests of `mailcert address` and `mailcert cert` need:
# dnsmasq (a real DNS server the tests start privately on loopback to serve a test zone) and the
# openssl CLI (reads back every file the wizards write).
#
# Run as root on Debian 12 (bookworm), non-interactive, no stdin needed.  Safe to run again: when every
# package is already installed it returns at once without touching apt/dpkg.
# May be executed (`bash scripts/deps/wizards.sh`) or sourced; when sourced it neither changes the
# caller's shell options nor exits the caller's shell (everything runs in a subshell).
#
# Why each knob:
#   * dnsmasq-base, not dnsmasq: the latter adds a systemd service that would start a resolver on
#     port 53; the tests only need the binary and run it with --no-daemon on a high loopback port.
#   * DPkg::Lock::Timeout=600: another apt/dpkg may be running on the machine; wait, don't fail.
#   * `apt-get update` only when a package has no install candidate (fresh image with empty lists).
#   * Installs only the MISSING packages, so already-installed ones (openssl, libssl3) are not upgraded
#     as a side effect on a shared machine.
#   * Python packages (dnspython) come from pyproject.toml, not from here.

mailcert_deps_wizards() (
  set -euo pipefail
  local pkgs=(dnsmasq-base openssl)
  local missing=() p status cand
  for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $status == "ii "* ]] || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    echo "wizards.sh: all installed (${pkgs[*]})" >&2
    return 0
  fi
  if [[ $(id -u) != 0 ]]; then
    echo "wizards.sh: must run as root to install: ${missing[*]}" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive

  local need_update=0
  for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z $cand || $cand == "(none)" ]]; then need_update=1; break; fi
  done
  if ((need_update)); then
    echo "wizards.sh: no install candidate for some of ${missing[*]}: apt-get update" >&2
    apt-get update -q -o DPkg::Lock::Timeout=600 </dev/null
  fi

  echo "wizards.sh: installing ${missing[*]}" >&2
  apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends \
    "${missing[@]}" </dev/null
)

mailcert_deps_wizards
