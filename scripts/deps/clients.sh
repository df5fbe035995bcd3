#!/usr/bin/env bash
# scripts/deps/clients.sh - the real mail clients the wire suite (tests/wire) runs against a real
# Dovecot and Postfix on loopback, each checking the server name with its own code:
#   curl (OpenSSL build), fetchmail, s-nail, isync (mbsync), mutt and neomutt (GnuTLS builds in
#   Debian), msmtp (GnuTLS), swaks (+ libnet-ssleay-perl, which its TLS needs), Jakarta Mail 2.0
#   (+ Jakarta Activation; run on the JDK that differential.sh installs), npm for imapflow and
#   nodemailer (installed into tests/wire/.node, gitignored).  Python imaplib needs nothing;
#   Go (net/smtp) comes from differential.sh.  iproute2 (ip) sets up the private network namespace
#   in which the chain oracle runs neomutt against each served chain under its typed name
#   (tests/differential/oracles_src/chain_program.py; unshare comes with util-linux, always there).
# Idempotent: apt installs only what is missing (see _apt.sh); npm runs only while the modules
# are absent.  CI cost when nothing is installed: about 25 MB of packages and 8 MB of npm modules.
# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
if command -v npm >/dev/null 2>&1; then npm_pkg=(); else npm_pkg=(npm); fi
apt_ensure clients.sh curl fetchmail s-nail isync mutt neomutt msmtp swaks libnet-ssleay-perl iproute2 \
  libjakarta-mail-java libjakarta-activation-java "${npm_pkg[@]}"
(
  set -euo pipefail
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/wire/.node"
  # "Installed" means Node can load both (a half-written tree from an interrupted run is redone).
  if ! (cd "$dir" 2>/dev/null && node -e 'require("imapflow"); require("nodemailer")' >/dev/null 2>&1); then
    rm -rf "$dir"
    mkdir -p "$dir"
    # A package.json of its own makes $dir the project root: without it npm takes the
    # repository as the project and leaves out whatever the repository's .gitignore names
    # (build/), which drops socks' and smart-buffer's code and breaks imapflow.
    echo '{"private": true}' >"$dir/package.json"
    echo "clients.sh: npm install imapflow nodemailer into tests/wire/.node" >&2
    npm install --prefix "$dir" --no-audit --no-fund --silent imapflow@1 nodemailer@6 </dev/null
  fi
)
