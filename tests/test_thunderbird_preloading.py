"""Thunderbird's intermediate preloading in the verdict (issue 11, item 3).

Thunderbird (desktop) preloads the intermediates public CAs disclose to Mozilla (CCADB) and
completes a chain the server left incomplete with them; which intermediates a given
installation holds cannot be known offline, so the verdict never guesses acceptance: it
refuses, says on what Thunderbird's connection depends, and says outright that a private CA's
intermediate is never among them.  The chain-incomplete finding names exactly the clients the
table shows connecting anyway (Windows and Apple fetch the intermediate by AIA).
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from mailcert.assess import Assessment, assess_certificate, trust_findings
from mailcert.certs.chain import TrustProblem, TrustStore, verify_chain
from mailcert.certs.info import facts_from_certificate
from mailcert.judgement import Judgement
from mailcert.names.profiles import PROFILES, MissingIntermediate
from tests.differential.chain_corpus import NAME, _day, _make, generate

NOW = dt.datetime.now(dt.timezone.utc)


def _case(case_id: str) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    case = next(c for c in generate(NOW) if c.id == case_id)
    return [x509.load_der_x509_certificate(d) for d in case.chain], [x509.load_der_x509_certificate(d) for d in case.roots]


def _assess(chain: list[x509.Certificate], store: TrustStore) -> Assessment:
    judgement = Judgement(tuple(PROFILES.values()), store=store, now=NOW)
    return assess_certificate(facts_from_certificate(chain[0]), [NAME], judgement, chain=chain)


def test_the_thunderbird_row_is_sourced_data() -> None:
    policy = PROFILES["thunderbird"].chain
    assert policy.missing_intermediate is MissingIntermediate.PRELOADED
    assert "security.remote_settings.intermediates.enabled = true" in policy.source
    assert "all-thunderbird.js" in policy.source and "CCADB" in policy.missing_intermediate.value


@pytest.mark.parametrize("public", [True, False])
def test_a_missing_intermediate_is_refused_and_the_reason_says_on_what_thunderbird_depends(public: bool) -> None:
    chain, roots = _case("missing-intermediate")
    a = _assess(chain, TrustStore(roots, "public roots" if public else "the administrator's CA file", public=public))
    tb = next(v for v in a.results if v.client == "thunderbird")
    assert not tb.accepted and tb.code == "incomplete" and tb.message == "SEC_ERROR_UNKNOWN_ISSUER"
    if public:  # a public CA's intermediate is most likely preloaded, but that cannot be known here
        assert "completes the chain only with an intermediate it has preloaded" in tb.reason
        assert "public CAs disclose to it (CCADB), never a private CA's" in tb.reason
    else:  # a private CA's intermediate never is
        assert "this chain's anchors are private: refused" in tb.reason
    # clients that neither fetch nor preload it say nothing of preloading
    curl = next(v for v in a.results if v.client == "curl")
    assert curl.code == "incomplete" and "preload" not in curl.reason


@pytest.mark.parametrize("case_id", ["missing-intermediate", "good"])
def test_the_chain_incomplete_finding_names_exactly_who_connects_anyway(case_id: str) -> None:
    chain, roots = _case(case_id)
    store = TrustStore(roots, "test store")
    a = _assess(chain, store)
    trust = verify_chain(chain, store, now=NOW)
    found = trust_findings(trust, NAME, "CERT", a.results)
    incomplete = [f for f in found if f.code == "chain-incomplete"]
    if trust.problem is not TrustProblem.MISSING_INTERMEDIATE:
        assert not incomplete
        return
    connect = set(str(incomplete[0].facts["connect"]).split(", "))
    accepted = {PROFILES[v.client].title for v in a.results if v.accepted}
    assert connect == accepted == {"Outlook 2007", "Outlook (CryptoAPI)", "Apple Mail / iOS"}
    assert "Thunderbird" not in connect  # preloading is never assumed


def test_without_an_aia_url_nobody_connects_and_the_finding_says_so() -> None:
    day = _day(NOW)  # the corpus's own root and intermediate (deterministic keys), a leaf without AIA
    root = _make("root", "Corpus Root", day, ca=True, days=(-1000, 3000))
    inter = _make("inter", "Corpus Intermediate", day, root, ca=True, days=(-500, 2000))
    leaf = _make("no-aia", NAME, day, inter, san=(NAME,)).cert
    store = TrustStore([root.cert], "test store")
    a = _assess([leaf], store)
    assert not any(v.accepted for v in a.results)
    found = trust_findings(verify_chain([leaf], store, now=NOW), NAME, "CERT", a.results)
    assert next(f for f in found if f.code == "chain-incomplete").facts["connect"] == "none"
