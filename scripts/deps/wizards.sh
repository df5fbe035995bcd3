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

# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
apt_ensure wizards.sh dnsmasq-base openssl
