#!/usr/bin/env bash
# scripts/deps/clients.sh - the real mail clients the wire suite (tests/wire) runs against a real
# Dovecot and Postfix on loopback, each checking the server name with its own code:
#   curl (OpenSSL build), fetchmail, s-nail, isync (mbsync), mutt and neomutt (GnuTLS builds in
#   Debian), msmtp (GnuTLS), swaks (Net::SSLeay), Jakarta Mail 2.0 (+ Jakarta Activation, run on
#   the JDK that scripts/deps/differential.sh installs).  Python imaplib/smtplib need nothing;
#   Node (imapflow, nodemailer) and Go come from differential.sh / tests/wire/npm.sh.
# Idempotent; installs only what is missing (see _apt.sh).
# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
apt_ensure clients.sh curl fetchmail s-nail isync mutt neomutt msmtp swaks libnet-ssleay-perl \
  libjakarta-mail-java libjakarta-activation-java
