"""Whole verdicts of every profile for one chain and one name vs one x509.verification call.

Same inputs for both, in one run: a leaf + intermediate served by the server, a root in the
trust store, the name the user typed.  mailcert reads the certificate's facts, judges the chain
once per distinct validator set-up (OpenSSL at the clients' security levels, cryptography
strict and lenient), applies every profile's own rules and name rules; the reference is one
cryptography ``build_server_verifier(...).verify(...)``.  Target (issue 11): all profiles
together at most 2x the one call.

Three cases, each against the same reference:

- "first met": each call judges a leaf never seen before, for a name never asked before
  (nothing remembered per chain, certificate or name can answer); only the trust store and the
  intermediate are shared, as in any fleet;
- "judged again": the same chain at another time (a long scan's next pass, a minute or more
  later): its chain verdicts are remembered per validity pattern (where the time falls among
  the validity bounds of the chain and its anchors), so a time that crosses no bound is
  answered from memory;
- "met again": the same chain on a fleet's next port, the same minute.

Times are CPU time of this process (the machine is shared: wall time would measure the
neighbours).

Where a first-met chain goes (``--parts``: each part on never-seen leaves, in µs of CPU; OpenSSL
3.0.19, 2 shared cores, December 2026, measured with the machine loaded - load average 4 to 7 -
so every figure is some 10% above a quiet run's): one x509.verification call 350; OpenSSL's
d2i_X509 of the new leaf 315 (all of it d2i_X509_PUBKEY: 3.0 builds an OSSL_DECODER_CTX per
key; a libctx of its own or a property query changes nothing, a legacy EC method registered
through an ENGINE makes it 71 but changes every EC operation of the process, Python's ssl
included) and then X509_verify_cert 390; cryptography's verification as mailcert sets it up
440; the two validators together some 1,140 = 3.2-3.3x the call, before any Python of
mailcert's runs.  The certificate's facts 285, 24 profiles' name rules 107 (a plain name that is
the first SAN entry decided once for every profile that reaches it), reading the chain 90-140,
and about 1,300 more spread thin over the rest (refusals, findings, texts, the per-profile
fan-out of the table, the memory's keys): whole 2,900 = 8.0-8.3x.  The code before this
round's changes, alternated with it in the same loaded minutes: 3,160-3,345 against 2,890-2,940
(about a tenth less now).  What each client needs of a known intermediate, its anchors
and the profiles is remembered (by object identity first: cryptography hashes a certificate by
walking its fields); what is left is per leaf and per profile.  The 2x goal holds for a chain
met again and a chain judged again; for a new leaf the two real validators alone are past it.

Round 6 (leaf), where mailcert's own Python on a first-met leaf went, measured by removing parts
(same process, fresh leaves, load ~7): the facts 250-280; the chain read for both validators
~140; judge_chains beyond the two validators ~400-450 (its memory's key: the validity pattern and
the chain's hash, ~100; sharing verdicts among the 8 set-ups and the JDK rows' own checks on the
path taken, ~150; the verdicts' texts and paths, the ctypes calls around X509_verify_cert);
assess beyond judge_chains ~400 (name rules of 24 profiles ~100, refusals ~90, findings and
their words ~100, the per-profile fan-out ~100).  What changed: a set-up's reuse of a stricter
one's verdict or path is worked out once per set of set-ups (not by hashing two settings per
pair and chain); a Judgement's tuple of profiles finds its plan and its refusal rows by its id;
each leaf rule set's refusal is remembered per the facts it reads (a fleet's certificates from one
CA share them) and the usual row (leaf rules passed, chain trusted) is passed without a lookup;
an issuer Name is read once per encoding (each new leaf names its intermediate: Name, text and
OpenSSL lookup key made once), a certificate's DER and key once per object; cached_property
without Python 3.11's lock.  --parts, old main and this round alternated in the same loaded
minutes (load 8-9): reading the chain 145 -> 72, name rules 108 -> 92, whole 3,178 / 2,992 ->
2,720 / 2,779 (about 8-12% less; 8.3-8.8x -> 7.6-8.0x of the reference); paired rounds of 150
fresh leaves each: 0.93 of old main.  Outputs are byte-identical to old main on a third of
limbo's server cases (private and public store), the chain corpus and the name corpus (every
verdict, refusal, finding and its words, and each set-up's chain verdict).  Not reached: whole
<= 1,800; what is left is spread over the same parts, none above ~100 µs but the facts.

    .venv/bin/python bench/verdict_bench.py [--seconds 3] [--parts]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography import x509  # noqa: E402
from cryptography.x509 import verification  # noqa: E402

from mailcert.assess import assess_certificate  # noqa: E402
from mailcert.certs.build import TestCA  # noqa: E402
from mailcert.certs import chain as chain_module, libcrypto  # noqa: E402
from mailcert.certs.chain import TrustStore, Validator, ValidatorSettings  # noqa: E402
from mailcert.certs.info import facts_from_certificate  # noqa: E402
from mailcert.der import certificate_der  # noqa: E402
from mailcert.judgement import Judgement  # noqa: E402
from mailcert.names.matcher import verdicts_for  # noqa: E402
from mailcert.names.profiles import PROFILES  # noqa: E402
from tests.factory import NOW  # noqa: E402

ROOT = TestCA(now=NOW, key_type="ecdsa-p256")
INTER = ROOT.create_child_ca("mailcert Test Intermediate")
STORE = TrustStore([ROOT.cert], "bench store")
PYCA_STORE = verification.Store([ROOT.cert])
JUDGEMENT = Judgement(profiles=tuple(PROFILES.values()), store=STORE, now=NOW)


def chains(n: int) -> list[tuple[list[x509.Certificate], str]]:
    """``n`` chains with distinct leaves and names (leaf + intermediate), and the typed name."""
    out = []
    for i in range(n):
        name = f"remote{i}.contoso.com"
        out.append(([INTER.issue_cert(name, "sbs.contoso.local", key_type="ecdsa-p256").cert, INTER.cert], name))
    return out


def mailcert(chain: list[x509.Certificate], name: str) -> None:
    assess_certificate(facts_from_certificate(chain[0]), [name], JUDGEMENT, chain=chain)


_minutes = itertools.count(1)


def mailcert_later(chain: list[x509.Certificate], name: str) -> None:
    """The same chain judged at a new minute each call (within the chain's validity)."""
    judgement = Judgement(profiles=JUDGEMENT.profiles, store=STORE, now=NOW + dt.timedelta(minutes=next(_minutes) % 100_000))
    assess_certificate(facts_from_certificate(chain[0]), [name], judgement, chain=chain)


def pyca(chain: list[x509.Certificate], name: str) -> None:
    verifier = verification.PolicyBuilder().store(PYCA_STORE).time(NOW).build_server_verifier(x509.DNSName(name))
    verifier.verify(chain[0], chain[1:])


def rate(fn: Callable[[list[x509.Certificate], str], None], inputs: Iterator[tuple[list[x509.Certificate], str]], seconds: float) -> float:
    n, start = 0, time.process_time()
    for chain, name in inputs:
        fn(chain, name)
        n += 1
        if (elapsed := time.process_time() - start) >= seconds:
            return n / elapsed
    raise SystemExit("ran out of fresh chains: raise --chains")


def parts(fresh: Iterator[tuple[list[x509.Certificate], str]], n: int = 500) -> None:
    """The floor of a first-met chain: each part on ``n`` never-seen leaves, µs of CPU."""
    lib = libcrypto._get()
    webpki = ValidatorSettings(Validator.WEBPKI)
    steps: list[tuple[str, Callable[..., object], Callable[[list[x509.Certificate], str], tuple[object, ...]]]] = [
        ("one x509.verification call (the reference)", pyca, lambda c, n: (c, n)),
        ("OpenSSL d2i_X509 of the new leaf", lambda d: lib.X509_free(lib.parse(d)), lambda c, n: (certificate_der(c[0]),)),  # type: ignore[attr-defined]
        ("OpenSSL d2i_X509 + X509_verify_cert", lambda c: libcrypto.openssl_verify(c.ders, c.names, STORE.openssl(), now=NOW, security_level=2),
         lambda c, n: (chain_module._Chain(c),)),
        ("cryptography's verification as mailcert sets it up", lambda c: chain_module._webpki_verify(c, STORE, NOW, webpki),
         lambda c, n: (chain_module._Chain(c),)),
        ("reading the chain for both validators", chain_module._Chain, lambda c, n: (c,)),
        ("the certificate's facts", lambda c: facts_from_certificate(c[0]), lambda c, n: (c,)),
        (f"{len(PROFILES)} profiles' name rules (a new name)", lambda f, n: verdicts_for(f.identifiers, n, list(PROFILES.values())),
         lambda c, n: (facts_from_certificate(c[0]), n)),
        ("whole verdicts of every profile", mailcert, lambda c, n: (c, n)),
    ]
    for label, fn, prep in steps:
        args = [prep(*next(fresh)) for _ in range(n)]
        start = time.process_time()
        for a in args:
            fn(*a)
        print(f"{label:55s} {(time.process_time() - start) / n * 1e6:7.0f} µs")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--chains", type=int, default=4000, help="fresh chains made up front (first-met calls never repeat one)")
    ap.add_argument("--parts", action="store_true", help="measure where a first-met chain's time goes instead")
    args = ap.parse_args()
    fresh = chains(args.chains + 2)
    mailcert(*fresh[0])
    pyca(*fresh[1])  # warm both (imports, trust stores, the intermediate)
    if args.parts:
        parts(iter(fresh[2:]))
        return
    repeat = fresh[0]
    cold = rate(mailcert, iter(fresh[2:]), args.seconds)
    later = rate(mailcert_later, iter(lambda: repeat, None), args.seconds)
    warm = rate(mailcert, iter(lambda: repeat, None), args.seconds)
    theirs = rate(pyca, itertools.cycle(fresh[2:]), args.seconds)  # cryptography remembers nothing between calls
    print(f"one x509.verification call:  {theirs:7.0f}/s ({1000 / theirs:.3f} ms CPU)")
    for label, r in (("first met", cold), ("judged again", later), ("met again", warm)):
        print(f"mailcert, {len(PROFILES)} profiles, {label:12s} {r:7.0f}/s ({1000 / r:.3f} ms CPU): {theirs / r:.2f}x (goal <= 2.0x)")


if __name__ == "__main__":
    main()
