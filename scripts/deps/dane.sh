#!/usr/bin/env bash
# scripts/deps/dane.sh - what the DANE / MTA-STS lab tests (tests/dane) need: a real authoritative
# DNS server for a DNSSEC-signed zone (NSD), ldns's signing tools (ldnsutils), a validating resolver
# (Unbound), dig, and Postfix as the DANE-validating sender (servers.sh installs it too).
#
# Package scripts must not start nsd/unbound on the host's port 53: when no /usr/sbin/policy-rc.d
# exists, a temporary one (exit 101) is in place for the install and removed afterwards.  The tests
# start their own daemons with their own configs inside a private network namespace.
# shellcheck source=scripts/deps/_apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/_apt.sh"
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
tmp_policy=0
if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" = 0 ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; tmp_policy=1
fi
rc=0
apt_ensure dane.sh nsd ldnsutils unbound bind9-dnsutils postfix iproute2 util-linux || rc=$?
if [ "$tmp_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
exit "$rc"
