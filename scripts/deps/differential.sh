#!/usr/bin/env bash
# scripts/deps/differential.sh - system packages for the differential oracles
# (tests/differential/oracles.py: real OpenSSL, GnuTLS, NSS, JDK, Node.js and Go name checks).
#
# Run as root on Debian 12 (bookworm), non-interactive, no stdin needed.  Idempotent: when every
# package is present it returns at once without touching apt/dpkg.  May be executed or sourced;
# when sourced it neither changes the caller's shell options nor exits the caller's shell
# (everything runs in a subshell function).
#
# What each oracle needs:
#   openssl, gnutls, nss : C programs -> gcc, libc6-dev (gcc only *recommends* it, and we pass
#                          --no-install-recommends), pkg-config, libssl-dev, libgnutls28-dev, libnss3-dev
#   java                 : javac/java 17 (in-memory SSLEngine handshake)
#   node                 : node >= 15.6 for crypto.X509Certificate; installed only if `node` is missing
#                          (another repository on the shared machine may already provide a newer one)
#   go                   : golang-go (Go 1.19 on Debian 12), standard library only, builds offline
#   python               : the project's own interpreter; nothing to install
# Why each knob:
#   * `apt-get update` only when golang-go has no install candidate (fresh image with empty lists).
#   * Installs only the MISSING packages, so apt does not upgrade shared libraries as a side effect.
#   * DPkg::Lock::Timeout=600: another apt/dpkg may be running on the machine; wait, don't fail.
#   * mkdir /usr/share/man/man1: openjdk's postinst registers man-page alternatives there and fails
#     on slim images that lack the directory.

# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
# openjdk's postinst registers man pages there and fails on slim images that lack the directory
mkdir -p /usr/share/man/man1
if command -v node >/dev/null 2>&1; then node_pkg=(); else node_pkg=(nodejs); fi
apt_ensure differential.sh gcc libc6-dev pkg-config libssl-dev libgnutls28-dev libnss3-dev \
  openjdk-17-jdk-headless golang-go "${node_pkg[@]}"
