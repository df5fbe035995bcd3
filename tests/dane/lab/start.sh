#!/bin/bash
# start.sh - build the whole DANE / MTA-STS lab from scratch inside a private
# network + mount + pid namespace. Idempotent: tears down any previous lab first.
# Nothing outside $RUN is written; /etc/resolv.conf is only bind-mounted INSIDE the namespace.
set -eu
. "$(dirname "$0")/lib.sh"
T0=$(date +%s.%N)
for b in nsd nsd-control unbound unbound-control ldns-signzone ldns-keygen dig postfix openssl unshare nsenter; do
  command -v "$b" >/dev/null || { echo "missing $b: bash scripts/deps/dane.sh" >&2; exit 2; }
done

"$LAB/stop.sh" >/dev/null 2>&1 || true
# any failure from here on tears the half-built lab down again (logs are kept in run/)
trap 'rc=$?; if [ $rc -ne 0 ]; then echo "start.sh failed (rc=$rc): lab torn down, logs kept in $RUN" >&2;
      KEEP_RUN=1 "$LAB/stop.sh" >/dev/null 2>&1; fi' EXIT
mkdir -p "$RUN"/{pki,dns,nsd,unbound,sender,receiver,sts}

say "PKI: lab CA, receiver certificate (key #1), MTA-STS web certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -subj "/CN=DANE Lab CA" -keyout "$RUN/pki/ca.key" -out "$RUN/pki/ca.crt" 2>/dev/null
mk_leaf mx  "$MX"
mk_leaf web "mta-sts.$ZONE"

say "DNSSEC keys + signed zone $ZONE (ldns)"
( cd "$RUN/dns"
  ldns-keygen -a ECDSAP256SHA256 -k "$ZONE" > ksk.name     # KSK (flags 257)
  ldns-keygen -a ECDSAP256SHA256 "$ZONE"    > zsk.name     # ZSK (flags 256)
  cp "$(cat ksk.name).ds" trust-anchor.ds                  # DS of the KSK = the trust anchor
  cp "$(cat ksk.name).key" trust-anchor.dnskey )
build_zone "$RUN/pki/mx.crt"

say "configs"
cat > "$RUN/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$AUTH_PORT
    port: $AUTH_PORT
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$RUN/dns"
    database: ""
    pidfile: "$RUN/nsd/nsd.pid"
    logfile: "$RUN/nsd/nsd.log"
    xfrdfile: "$RUN/nsd/xfrd.state"
    xfrdir: "$RUN/nsd"
    zonelistfile: "$RUN/nsd/zone.list"
    server-count: 1
    verbosity: 1
remote-control:
    control-enable: yes
    control-interface: "$RUN/nsd/nsd.ctl"
zone:
    name: "$ZONE"
    zonefile: "$ZONE.zone.signed"
EOF

cat > "$RUN/unbound/unbound.conf" <<EOF
server:
    # :53 only exists inside the lab netns (glibc/Postfix cannot use another port)
    interface: 127.0.0.1@53
    interface: 127.0.0.1@$RES_PORT
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no          # the authoritative server is on 127.0.0.1
    username: ""
    chroot: ""
    directory: "$RUN/unbound"
    pidfile: "$RUN/unbound/unbound.pid"
    logfile: "$RUN/unbound/unbound.log"
    use-syslog: no
    verbosity: 1
    log-queries: yes
    log-servfail: yes
    val-log-level: 2                    # log why an answer is bogus
    trust-anchor-file: "$RUN/dns/trust-anchor.ds"
    local-zone: "$ZONE." transparent    # 'test.' is a built-in static (NXDOMAIN) zone
    local-zone: "." refuse              # no internet here: fail fast for everything else
    cache-max-ttl: 30
remote-control:
    control-enable: yes
    control-interface: "$RUN/unbound/unbound.ctl"
stub-zone:
    name: "$ZONE."
    stub-addr: 127.0.0.1@$AUTH_PORT
EOF
unbound-checkconf "$RUN/unbound/unbound.conf" >/dev/null

printf 'nameserver 127.0.0.1\noptions trust-ad edns0\n' > "$RUN/resolv.conf"

# a second, NON-validating Unbound (iterator only) on 127.0.0.2:53 - used by demo.sh step (d)
mkdir -p "$RUN/unbound-nv"
sed -e 's|127.0.0.1@53|127.0.0.2@53|' -e "/@$RES_PORT/d" -e '/trust-anchor-file/d' -e '/val-log-level/d' \
    -e "s|$RUN/unbound\([/\"]\)|$RUN/unbound-nv\1|g" -e 's|^server:|server:\n    module-config: "iterator"     # no validator: never sets AD|' \
    -e '/^remote-control:/,/unbound.ctl"/d' "$RUN/unbound/unbound.conf" > "$RUN/unbound-nv/unbound.conf"
unbound-checkconf "$RUN/unbound-nv/unbound.conf" >/dev/null
printf 'nameserver 127.0.0.2\noptions trust-ad edns0\n' > "$RUN/resolv-nonvalidating.conf"

# ---- Postfix instances (config dir = queue dir parent; no chroot, own maillog) ----
mk_postfix() {  # mk_postfix NAME   (config in NAME/conf, queue + data beside it, not below it)
  local d="$RUN/$1/conf" q="$RUN/$1"
  mkdir -p "$d"
  cp /etc/postfix/master.cf.proto "$d/master.cf"
  : > "$d/main.cf"
  postconf -c "$d" -e \
    "compatibility_level = 3.6" \
    "queue_directory = $q/queue" "data_directory = $q/data" \
    "mail_owner = postfix" "setgid_group = postdrop" \
    "maillog_file = $q/maillog" "maillog_file_prefixes = $RUN" \
    "inet_protocols = ipv4" "mydestination =" "alias_maps =" "alias_database =" \
    "local_recipient_maps =" "biff = no" "smtputf8_enable = no" \
    "smtp_tls_loglevel = 1" "smtpd_tls_loglevel = 1"
  postconf -c "$d" -F '*/*/chroot = n'      # Debian default is chroot=y -> would read queue/etc/resolv.conf
  install -d -o root -m 755 "$q/queue"; install -d -o postfix -m 700 "$q/data"
}
mk_postfix receiver
postconf -c "$RUN/receiver/conf" -e \
  "myhostname = $MX" "inet_interfaces = 127.0.0.1" \
  "smtpd_tls_security_level = may" \
  "smtpd_tls_chain_files = $RUN/pki/mx.key, $RUN/pki/mx.crt" \
  "virtual_mailbox_domains = $ZONE" "virtual_mailbox_base = $RUN/receiver/mail" \
  "virtual_mailbox_maps = texthash:$RUN/receiver/vmailbox" \
  "virtual_uid_maps = static:65534" "virtual_gid_maps = static:65534" \
  "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
postconf -c "$RUN/receiver/conf" -M# smtp/inet
postconf -c "$RUN/receiver/conf" -Me "$SMTP_PORT/inet=$SMTP_PORT inet n - n - - smtpd"
# port 25 too (private to the namespace): what mailcert scan --domain finds through the MX record
postconf -c "$RUN/receiver/conf" -Me "25/inet=25 inet n - n - - smtpd"
echo "user@$ZONE user/" > "$RUN/receiver/vmailbox"
mkdir -p "$RUN/receiver/mail"; chown 65534:65534 "$RUN/receiver/mail"

mk_postfix sender
postconf -c "$RUN/sender/conf" -e \
  "myhostname = sender.lab.example" "inet_interfaces = 127.0.0.1" \
  "smtp_tcp_port = $SMTP_PORT" \
  "smtp_dns_support_level = dnssec" "smtp_tls_security_level = dane" \
  "smtp_tls_CAfile = $RUN/pki/ca.crt" \
  "dnssec_probe = ns:$ZONE" \
  "maximal_queue_lifetime = 1h" "bounce_queue_lifetime = 1h"
postconf -c "$RUN/sender/conf" -M# smtp/inet        # sender needs no SMTP listener

say "namespace (net+mount+pid, lo up, private /etc/resolv.conf)"
setsid unshare --net --mount --pid --fork --mount-proc --propagation private \
  "$PY" -c '
import os, signal, subprocess, sys, time
subprocess.check_call(["ip", "link", "set", "lo", "up"])
subprocess.check_call(["mount", "-n", "--bind", sys.argv[2], "/etc/resolv.conf"])
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
end = time.time() + int(sys.argv[3])
while time.time() < end:            # PID 1 of the lab: reap orphans, bounded lifetime
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0: pass
    except ChildProcessError: pass
    time.sleep(0.5)
' lab-holder "$RUN/resolv.conf" "$HOLDER_MAX_S" </dev/null >"$RUN/holder.log" 2>&1 &
UPID=$!; echo "$UPID" > "$RUN/unshare.pid"
for _ in $(seq 50); do
  c=$(cat /proc/$UPID/task/$UPID/children 2>/dev/null | awk '{print $1}')
  [ -n "$c" ] && grep -q lab-holder /proc/$c/cmdline 2>/dev/null && break; sleep 0.1
done
echo "$c" > "$RUN/holder.pid"
wait_for 5 ns grep -q 127.0.0.1 /etc/resolv.conf || { echo "namespace failed"; cat "$RUN/holder.log"; exit 1; }

say "NSD on 127.0.0.1:$AUTH_PORT"
ns nsd -c "$RUN/nsd/nsd.conf"
wait_for 10 ns dig +short +time=1 +tries=1 @127.0.0.1 -p $AUTH_PORT SOA $ZONE || { cat "$RUN/nsd/nsd.log"; exit 1; }

say "Unbound on 127.0.0.1:$RES_PORT and :53 (namespace only)"
ns unbound -c "$RUN/unbound/unbound.conf"
ns unbound -c "$RUN/unbound-nv/unbound.conf"
wait_for 10 ns dig +short +time=1 +tries=1 @127.0.0.1 -p $RES_PORT SOA $ZONE || { cat "$RUN/unbound/unbound.log"; exit 1; }
wait_for 10 ns dig +short +time=1 +tries=1 @127.0.0.2 SOA $ZONE || { cat "$RUN/unbound-nv/unbound.log"; exit 1; }

say "Postfix receiver (127.0.0.1:$SMTP_PORT) and sender"
pfx receiver start 2>&1 | grep -v 'starting the Postfix' || true
pfx sender start 2>&1 | grep -v 'starting the Postfix' || true
wait_for 10 ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT" || { tail "$RUN/receiver/maillog"; exit 1; }
pfx sender status >/dev/null 2>&1 || { tail "$RUN/sender/maillog"; exit 1; }

say "MTA-STS: HTTPS policy server (127.0.0.1:443 in netns)"
cat > "$RUN/sts/mta-sts.txt" <<EOF
version: STSv1
mode: enforce
mx: $MX
max_age: 86400
EOF
ns setsid -f env -u SSL_CERT_FILE "$PY" "$LAB/sts_https.py" "$RUN/pki/web.crt" "$RUN/pki/web.key" "$RUN/sts" \
  >"$RUN/sts/https.log" 2>&1 </dev/null
wait_for 10 ns bash -c "exec 3<>/dev/tcp/127.0.0.1/443" || { cat "$RUN/sts/https.log"; exit 1; }
# a real MTA-STS-aware sender: postfix-mta-sts-resolver (PyPI) as a socketmap; the sender uses it
# only when a test turns smtp_tls_policy_maps on (LAB-DANE section 9)
STS_DAEMON="$(dirname "$PY")/mta-sts-daemon"
if [ -x "$STS_DAEMON" ]; then
  printf 'host: 127.0.0.1\nport: %s\nreuse_port: true\nshutdown_timeout: 2\ncache:\n  type: internal\n  options:\n    cache_size: 100\ndefault_zone:\n  strict_testing: false\n  timeout: 4\n  require_sni: true\n' \
    "$STS_MAP_PORT" > "$RUN/sts/mta-sts-daemon.yml"
  ns setsid -f env SSL_CERT_FILE="$RUN/pki/ca.crt" "$STS_DAEMON" -c "$RUN/sts/mta-sts-daemon.yml" \
    -l "$RUN/sts/mta-sts-daemon.log" -v debug </dev/null >/dev/null 2>&1
  wait_for 10 ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$STS_MAP_PORT" || { cat "$RUN/sts/mta-sts-daemon.log"; exit 1; }
fi

say "check: validating resolver sets AD"
ns dig +dnssec +noall +comments +answer @127.0.0.1 -p $RES_PORT TLSA _$SMTP_PORT._tcp.$MX | grep -E 'flags:|TLSA'
printf 'lab up in %.1f s (holder pid %s; enter with: %s/lab-exec.sh CMD)\n' \
  "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$(cat "$RUN/holder.pid")" "$LAB"
