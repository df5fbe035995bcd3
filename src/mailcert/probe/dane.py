"""What a sending mail server looks up before it connects: TLSA with DNSSEC, and MTA-STS.

The only DNS and HTTPS code for DANE and MTA-STS.  It gathers facts (records, the resolver's
verdict, the policy bytes) and judges nothing; ``mailcert.senders`` does that offline.

* **DNSSEC through a validating resolver**, as Postfix and Exim do it: the query carries DO and
  AD, and the answer's AD bit says "secure"; a validating resolver answers SERVFAIL for a bogus
  answer, so SERVFAIL is "bogus"; an answer without AD is "insecure" (unsigned zone, or a
  resolver that does not validate: the detail says so).  dnspython sends the queries (one
  message, straight to the resolver, so the flags and rcode are ours to read); timeouts and
  network errors become "error" with one line.
* **MTA-STS over HTTPS** with urllib3 (already installed with certbot's ``acme``): the host
  ``mta-sts.DOMAIN`` is resolved through the same resolver, the certificate is verified for
  that name, redirects are refused (RFC 8461 section 3.3), the body is read in chunks and
  abandoned past 64 KB, and one deadline bounds everything.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
import urllib3

from mailcert.certs.tlsa import DnsStatus, TlsaLookup, TlsaRecord, tlsa_name
from mailcert.errors import InputError
from mailcert.names.mtasts import MAX_POLICY_BYTES, PolicyProblem, StsLookup, StsStatus, parse_policy, parse_txt, policy_url

__all__ = ["Resolver", "DnsAnswer", "parse_resolver", "query", "lookup_tlsa", "lookup_sts", "fetch_policy", "lookup_sync"]

STS_PORT = 443


@dataclass(frozen=True)
class Resolver:
    """A validating resolver to ask: address and port."""

    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def parse_resolver(text: str | None) -> Resolver:
    """``ADDR``, ``ADDR:PORT``, ``[V6]:PORT`` or ``None`` for the system's (first ``nameserver``)."""
    if text is None:
        try:
            servers = dns.resolver.Resolver().nameservers
        except dns.resolver.NoResolverConfiguration:
            raise InputError("no resolver configured on this machine: give one with resolver ADDR[:PORT]", mentions=("resolver",)) from None
        return Resolver(str(servers[0]))
    addr, port = text, 53
    if text.startswith("["):
        addr, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise InputError(f"resolver {text!r}: expected ADDR[:PORT]", field="resolver")
            port = int(rest[1:])
    elif text.count(":") == 1:
        addr, p = text.split(":")
        if not p.isdigit():
            raise InputError(f"resolver {text!r}: the port is not a number", field="resolver")
        port = int(p)
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        raise InputError(f"resolver {text!r}: give the resolver's IP address", field="resolver") from None
    if not 0 < port < 65536:
        raise InputError(f"resolver {text!r}: port out of range", field="resolver")
    return Resolver(addr, port)


@dataclass(frozen=True)
class DnsAnswer:
    """One RRset lookup: the resolver's verdict, the records' text, the TTL, one-line detail."""

    status: DnsStatus
    rdatas: tuple[object, ...]
    ttl: int
    detail: str


async def query(resolver: Resolver, name: str, rdtype: str, *, timeout: float) -> DnsAnswer:
    """Ask ``resolver`` for ``name``/``rdtype`` with DO and AD set (RFC 6840 section 5.7)."""
    qname = dns.name.from_text(name)
    rtype = dns.rdatatype.from_text(rdtype)
    q = dns.message.make_query(qname, rtype, want_dnssec=True, payload=1232)
    q.flags |= dns.flags.AD
    try:
        r = await dns.asyncquery.udp(q, resolver.address, port=resolver.port, timeout=timeout)
        if r.flags & dns.flags.TC:
            r = await dns.asyncquery.tcp(q, resolver.address, port=resolver.port, timeout=timeout)
    except dns.exception.Timeout:
        return DnsAnswer(DnsStatus.ERROR, (), 0, f"no answer from {resolver} within {timeout:g} s")
    except (OSError, dns.exception.DNSException) as exc:
        return DnsAnswer(DnsStatus.ERROR, (), 0, f"{resolver}: {exc.__class__.__name__}: {exc}")
    rcode = r.rcode()
    ad = bool(r.flags & dns.flags.AD)
    detail = f"{rdtype} {name}: {dns.rcode.to_text(rcode)}, AD={int(ad)} from {resolver}"
    if rcode == dns.rcode.SERVFAIL:
        return DnsAnswer(DnsStatus.BOGUS, (), 0, detail + " (a validating resolver's answer to bogus signatures)")
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return DnsAnswer(DnsStatus.ERROR, (), 0, detail)
    rrset = next((rr for rr in r.answer if rr.rdtype == rtype), None)
    rdatas = tuple(rrset) if rrset is not None else ()
    ttl = rrset.ttl if rrset is not None else 0
    if not ad:
        return DnsAnswer(DnsStatus.INSECURE, rdatas, ttl, detail + " (unsigned, or the resolver does not validate)")
    return DnsAnswer(DnsStatus.SECURE, rdatas, ttl, detail)


async def lookup_tlsa(resolver: Resolver, host: str, port: int, *, timeout: float = 5.0) -> TlsaLookup:
    """``_PORT._tcp.HOST TLSA`` and the host's own address record, as a DANE sender asks them."""
    owner = tlsa_name(host, port)
    addr, tlsa = await asyncio.gather(
        _address(resolver, host, timeout=timeout), query(resolver, owner, "TLSA", timeout=timeout)
    )
    records = tuple(
        TlsaRecord(r.usage, r.selector, r.mtype, bytes(r.cert))  # type: ignore[attr-defined]
        for r in tlsa.rdatas
    )
    return TlsaLookup(owner, tlsa.status, records, tlsa.ttl, str(resolver), tlsa.detail, addr.status)


async def _address(resolver: Resolver, host: str, *, timeout: float) -> DnsAnswer:
    """The A answer, or AAAA when there is no A (an IPv6-only MX)."""
    a = await query(resolver, host.rstrip(".") + ".", "A", timeout=timeout)
    if a.status is DnsStatus.ERROR or a.rdatas:
        return a
    aaaa = await query(resolver, host.rstrip(".") + ".", "AAAA", timeout=timeout)
    return aaaa if aaaa.rdatas or aaaa.status is DnsStatus.BOGUS else a


async def lookup_sts(
    resolver: Resolver,
    domain: str,
    *,
    timeout: float = 10.0,
    cafile: str | None = None,
    cadata: bytes | None = None,
    port: int = STS_PORT,
) -> StsLookup:
    """The ``_mta-sts`` TXT record and, if it announces a policy, the policy (RFC 8461 section 3)."""
    domain = domain.rstrip(".")
    started = time.monotonic()
    txt = await query(resolver, f"_mta-sts.{domain}.", "TXT", timeout=timeout)
    if txt.status is DnsStatus.ERROR or txt.status is DnsStatus.BOGUS:
        return StsLookup(domain, StsStatus.UNAVAILABLE, None, None, f"the _mta-sts TXT lookup failed: {txt.detail}")
    strings = [b"".join(r.strings).decode("utf-8", "replace") for r in txt.rdatas]  # type: ignore[attr-defined]
    ident, why = parse_txt(strings)
    if ident is None:
        return StsLookup(domain, StsStatus.NONE, None, None, why)
    web = f"mta-sts.{domain}"
    addr = await _address(resolver, web, timeout=max(0.1, timeout - (time.monotonic() - started)))
    ips = [r.to_text() for r in addr.rdatas]  # type: ignore[attr-defined]
    if not ips:
        return StsLookup(domain, StsStatus.UNAVAILABLE, None, ident, f"{web} has no address ({addr.detail})")
    left = max(0.1, timeout - (time.monotonic() - started))
    try:
        body = await asyncio.wait_for(asyncio.to_thread(fetch_policy, web, ips[0], port, timeout=left, cafile=cafile, cadata=cadata), left + 1)
    except (OSError, asyncio.TimeoutError) as exc:
        reason = str(exc) or f"no answer within {timeout:g} s"
        return StsLookup(domain, StsStatus.UNAVAILABLE, None, ident, f"{policy_url(domain)}: {reason}")
    policy = parse_policy(body)
    if isinstance(policy, PolicyProblem):
        return StsLookup(domain, StsStatus.INVALID, None, ident, policy.reason)
    return StsLookup(domain, StsStatus.POLICY, policy, ident, f"{policy_url(domain)}: mode {policy.mode.value}, max_age {policy.max_age}")


def fetch_policy(
    host: str, ip: str, port: int = STS_PORT, *, timeout: float, cafile: str | None = None, cadata: bytes | None = None
) -> bytes:
    """GET ``/.well-known/mta-sts.txt`` from ``ip``, verifying the certificate for ``host``.

    Returns the body; raises ``OSError`` with a one-line reason for anything a sender treats as
    "no policy available": TLS failure, a status other than 200, a redirect, a body over
    64 KB (read no further), or the deadline (``timeout`` for the whole exchange).
    """
    deadline = time.monotonic() + timeout
    ctx = ssl.create_default_context(cafile=cafile, cadata=cadata.decode("ascii", "replace") if cadata else None)
    pool = urllib3.HTTPSConnectionPool(
        ip, port, server_hostname=host, assert_hostname=host, ssl_context=ctx, retries=False,
        timeout=urllib3.Timeout(connect=timeout, read=timeout), maxsize=1,
    )
    try:
        resp = pool.urlopen(
            "GET", "/.well-known/mta-sts.txt", headers={"Host": host, "User-Agent": "mailcert"},
            redirect=False, preload_content=False,
        )
        if resp.status != 200:
            raise OSError(f"HTTP {resp.status} (a policy must be served with 200, no redirects)")
        body = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OSError(f"the policy did not arrive within {timeout:g} s")
            sock = getattr(resp.connection, "sock", None)  # the read timeout shrinks with the deadline
            if sock is not None:
                sock.settimeout(left)
            chunk = resp.read1(16384, decode_content=False)  # what has arrived: a trickle cannot stretch the deadline
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > MAX_POLICY_BYTES:
                raise OSError(f"the policy is larger than {MAX_POLICY_BYTES // 1024} KB: not read further")
    except urllib3.exceptions.HTTPError as exc:
        raise OSError(_http_reason(exc, timeout)) from None
    except socket.timeout:
        raise OSError(f"the policy did not arrive within {timeout:g} s") from None
    finally:
        pool.close()


def _http_reason(exc: Exception, timeout: float) -> str:
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return f"no answer within {timeout:g} s"
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"certificate not valid for the policy host: {reason.verify_message}"
    if isinstance(reason, urllib3.exceptions.SSLError) or "CertificateError" in type(reason).__name__:
        return f"certificate not valid for the policy host: {reason}"
    text = str(reason)
    return text.split(": ", 1)[-1] if "Max retries" in text else text


def lookup_sync(
    resolver: Resolver,
    host: str,
    port: int,
    domain: str | None,
    *,
    timeout: float,
    cadata: bytes | None = None,
) -> tuple[TlsaLookup, StsLookup | None]:
    """TLSA (and MTA-STS when a mail domain is given) for ``check``: one ``asyncio.run``.
    ``cadata``: the policy fetch's anchors as PEM (default: the system's)."""

    async def both() -> tuple[TlsaLookup, StsLookup | None]:
        if domain is None:
            return await lookup_tlsa(resolver, host, port, timeout=timeout), None
        t, s = await asyncio.gather(
            lookup_tlsa(resolver, host, port, timeout=timeout), lookup_sts(resolver, domain, timeout=timeout, cadata=cadata)
        )
        return t, s

    return asyncio.run(both())
