#!/usr/bin/env bash
# scripts/deps/_apt.sh - the one apt routine every scripts/deps/*.sh sources (not run by itself:
# setup.sh skips files starting with "_").
#
# apt_ensure TAG PACKAGE...  installs the packages that are MISSING, and only those:
#   * Debian 12, as root, non-interactive, no stdin; a fast no-op when all are installed.
#   * Naming an installed package would make apt upgrade it (and its libraries) as a side effect
#     on a shared machine, so installed ones are never named.
#   * `apt-get update` only when a missing package has no install candidate (fresh image).
#   * DPkg::Lock::Timeout=600: another apt/dpkg may be running (LAB.md pitfall 1); wait, don't fail.
#   * --no-install-recommends keeps installs small.
# Runs in a subshell: sourcing it changes neither the caller's shell options nor exits the caller.

apt_ensure() (
  set -euo pipefail
  local tag=$1; shift
  local missing=() p status cand need_update=0
  for p in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $status == "ii "* ]] || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    echo "$tag: all installed ($*)" >&2
    return 0
  fi
  if [[ $(id -u) != 0 ]]; then
    echo "$tag: must run as root to install: ${missing[*]}" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z $cand || $cand == "(none)" ]]; then need_update=1; break; fi
  done
  if ((need_update)); then
    echo "$tag: no install candidate for some of ${missing[*]}: apt-get update" >&2
    apt-get update -q -o DPkg::Lock::Timeout=600 </dev/null
  fi
  echo "$tag: installing ${missing[*]}" >&2
  apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" </dev/null
)
