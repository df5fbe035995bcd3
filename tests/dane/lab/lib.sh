# lib.sh - shared settings for the DANE / MTA-STS loopback lab (sourced, not run).
# Adapted from the team's LAB-DANE recipe: state in $LAB_RUN (one per test session), Python from
# $LAB_PY; everything runs in a private net+mount+pid namespace, so fixed ports never collide.
set -u
LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="${LAB_RUN:-$LAB/run}"     # all state lives here; stop.sh deletes it
ZONE=mail.test
MX=mx.$ZONE
AUTH_PORT=35053                # NSD (authoritative, signed zone)
RES_PORT=35054                 # Unbound (validating) - also on :53 inside the lab netns
SMTP_PORT=35025                # receiving Postfix
STS_MAP_PORT=35461             # postfix-mta-sts-resolver socketmap (when installed)
HOLDER_MAX_S=${HOLDER_MAX_S:-900}   # the whole lab self-destructs after this many seconds
PY="${LAB_PY:-python3}"

say() { if [ -t 1 ]; then printf "\033[1m== %s\033[0m  (+%ss)\n" "$*" "$SECONDS"; else printf "== %s  (+%ss)\n" "$*" "$SECONDS"; fi; }

holder_pid() {                 # host PID of the namespace's PID 1 (empty if lab is down)
  local p
  [ -f "$RUN/holder.pid" ] || return 0
  p=$(cat "$RUN/holder.pid")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null && grep -q "lab-holder" "/proc/$p/cmdline" 2>/dev/null; then
    echo "$p"
  fi
}

# run a command inside the lab's network + mount + pid namespaces
ns() {
  local h; h=$(holder_pid)
  [ -n "$h" ] || { echo "lab is not running (start.sh)" >&2; return 1; }
  nsenter -t "$h" -n -m -p --wd="$PWD" -- "$@"
}

# wait_for SECONDS CMD...  - bounded polling loop (0.2 s steps)
wait_for() {
  local max=$1; shift; local i=0 n=$(( max * 5 ))
  while [ $i -lt $n ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2; i=$((i+1))
  done
  return 1
}

pfx() { ns postfix -c "$RUN/$1/conf" "${@:2}"; }      # pfx sender|receiver <postfix args>

# ---------- PKI ----------
# mk_leaf NAME SAN_LIST  -> $RUN/pki/NAME.key + NAME.crt (fresh P-256 key, signed by the lab CA)
mk_leaf() {
  local n=$1 san=$2 d="$RUN/pki"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$n.key" 2>/dev/null
  openssl req -new -key "$d/$n.key" -subj "/CN=${san%%,*}" -out "$d/$n.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
    "$(echo "$san" | sed 's/[^,]*/DNS:&/g')" > "$d/$n.ext"
  openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$d/$n.ext" -out "$d/$n.crt" 2>/dev/null
  chmod 644 "$d/$n.key"   # lab only: Postfix reads it as root anyway
}
# TLSA 3 1 1 = SHA-256 over the DER SubjectPublicKeyInfo of the certificate
tlsa_311() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1; }

# ---------- zone ----------
# build_zone CERT... : write the unsigned zone with one 3 1 1 TLSA per cert, sign it with ldns-signzone
build_zone() {
  local d="$RUN/dns" c h serial
  serial=$(date +%s)
  {
    cat <<ZONE
\$ORIGIN $ZONE.
\$TTL 30
@            IN SOA  ns1.$ZONE. hostmaster.$ZONE. ( $serial 60 60 3600 30 )
@            IN NS   ns1.$ZONE.
ns1          IN A    127.0.0.1
@            IN MX   10 mx.$ZONE.
mx           IN A    127.0.0.1
; MTA-STS (RFC 8461) + TLS-RPT (RFC 8460)
_mta-sts     IN TXT  "v=STSv1; id=$serial"
mta-sts      IN A    127.0.0.1
_smtp._tls   IN TXT  "v=TLSRPTv1; rua=mailto:tlsrpt@$ZONE"
ZONE
    for c in "$@"; do
      h=$(tlsa_311 "$c")
      echo "_25._tcp.mx    IN TLSA 3 1 1 $h"
      echo "_$SMTP_PORT._tcp.mx IN TLSA 3 1 1 $h"
    done
  } > "$d/$ZONE.zone"
  # -n = NSEC3 would also work; plain NSEC keeps the output readable
  ( cd "$d" && ldns-signzone -f "$ZONE.zone.signed" "$ZONE.zone" "$(cat ksk.name)" "$(cat zsk.name)" )
}

reload_dns() {   # make NSD serve the new signed file and drop Unbound's cache for the zone
  ns nsd-control -c "$RUN/nsd/nsd.conf" reload "$ZONE" >/dev/null
  ns unbound-control -c "$RUN/unbound/unbound.conf" flush_zone "$ZONE" >/dev/null
  ns unbound-control -c "$RUN/unbound/unbound.conf" flush_bogus >/dev/null
  ns unbound-control -c "$RUN/unbound/unbound.conf" flush_negative >/dev/null
}
