"""The GnuTLS mail clients' own chain rules (proven over the wire on the chain corpus by
tests/differential/test_chains_vs_real.py: the real msmtp and mutt against served chains).

mutt and NeoMutt turn GnuTLS's time checks off and check the dates of every certificate the
server sends themselves, so an expired cross-sign sent along is refused although the path does
not need it; msmtp and GIO leave dates to GnuTLS, which accepts that chain.  None of them
gives GnuTLS a purpose, so a clientAuth-only certificate passes them all.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509

from mailcert.assess import assess_certificate
from mailcert.certs.chain import TrustStore
from mailcert.certs.info import facts_from_certificate
from mailcert.judgement import Judgement
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import outdated_sent
from tests.differential.chain_corpus import generate

NOW = dt.datetime.now(dt.timezone.utc)
GNUTLS_CLIENTS = ("gnutls", "mutt", "neomutt", "msmtp", "evolution")


def _verdicts(case_id: str) -> dict[str, tuple[bool, str | None, str]]:
    case = next(c for c in generate(NOW) if c.id == case_id)
    chain = [x509.load_der_x509_certificate(d) for d in case.chain]
    store = TrustStore([x509.load_der_x509_certificate(d) for d in case.roots], "the case's anchors")
    judgement = Judgement(tuple(PROFILES[p] for p in GNUTLS_CLIENTS), store=store, now=NOW)
    a = assess_certificate(facts_from_certificate(chain[0]), [case.name], judgement, chain=chain)
    return {v.client: (v.accepted, v.code, v.reason) for v in a.results}


def test_an_expired_certificate_sent_along_is_refused_by_mutt_and_neomutt_only() -> None:
    verdicts = _verdicts("expired-cross-new-root")
    assert {c for c, (ok, _, _) in verdicts.items() if ok} == {"gnutls", "msmtp", "evolution"}
    for client in ("mutt", "neomutt"):
        ok, code, reason = verdicts[client]
        assert code == "expired" and "CN=Corpus Root" in reason and "every certificate the server sends" in reason


def test_outdated_sent_names_the_first_certificate_out_of_its_dates() -> None:
    case = next(c for c in generate(NOW) if c.id == "expired-cross-new-root")
    chain = [x509.load_der_x509_certificate(d) for d in case.chain]
    assert outdated_sent(chain[:2], NOW) is None
    assert (outdated_sent(chain, NOW) or "").startswith("the server sends CN=Corpus Root,O=mailcert chain corpus, expired on")
    assert "not valid before" in (outdated_sent(chain[:1], chain[0].not_valid_before_utc - dt.timedelta(days=1)) or "")


def test_a_good_chain_passes_every_gnutls_client() -> None:
    assert all(ok for ok, _, _ in _verdicts("good").values())


def test_no_gnutls_mail_client_checks_the_eku() -> None:
    verdicts = _verdicts("eku-client-only")
    assert {c for c, (ok, _, _) in verdicts.items() if not ok} == {"gnutls"} and verdicts["gnutls"][1] == "eku"
