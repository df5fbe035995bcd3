"""Each profile's whole verdict on whole chains against the real library it models.

For each (real implementation, profile) pair below, every SERVER case of x509-limbo and every
case of the chain corpus (tests/differential/chain_corpus.py) goes once through the library
(one process for all cases: ``run_chain_oracle``) and once through mailcert
(``chains.whole_verdict``: the profile's validator, its own refusals, its name rules).

They must agree on every case except the differences listed, with their reasons, in the
"Known differences of whole chains" table of docs/clients.md (``| profile | chain case |
real | mailcert | reason |``; the case is an ``fnmatch`` pattern over limbo's ids, or
``corpus:<id>``).  A listed row that no longer differs fails too, so the list stays true; and
the agreement on limbo must stay at what was reached.

Clients that share a library's chain rules (mutt, neomutt, msmtp, Evolution: GnuTLS; Jakarta
Mail: the JDK, which validates the chain without endpoint identification and leaves names to
Jakarta's own matcher) must hold exactly the rules of the row that was proven on limbo, but for
those they take from their own code; those whose real program runs here (msmtp, mutt, NeoMutt)
are compared over the wire with it, Evolution through the library it connects with (GIO and
glib-networking, a real handshake), the others on the chain alone over the corpus.
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailcert.names.profiles import PROFILES, EkuRule
from tests.differential.chains import Verdict, corpus_requests, limbo_requests, whole_verdicts
from tests.differential.oracles import ChainCase, OracleCase, OracleVerdict, run_chain_oracle, unavailable_reason
from tests.differential.test_profiles_vs_real import Comparison, Disagreement, KnownDifference, parse_known_differences

pytestmark = [pytest.mark.differential]

DOC = Path(__file__).resolve().parents[2] / "docs" / "clients.md"
HEADER = ["profile", "chain case", "real", "mailcert", "reason"]


@dataclass(frozen=True)
class Pair:
    """One profile against one real implementation set up as that client sets it up."""

    oracle: str
    profile: str
    names: bool
    limbo: float | None  # agreement reached on x509-limbo (None: compared on the corpus only)


PAIRS = (
    Pair("gnutls-chain", "gnutls", True, 0.998),
    # real client programs over a real handshake: GnuTLS's own client, and the GnuTLS mail
    # clients that give it no purpose (msmtp, mutt, NeoMutt)
    Pair("gnutls-cli-chain", "gnutls", True, None),
    Pair("msmtp-chain", "msmtp", True, None),
    Pair("mutt-chain", "mutt", True, None),
    Pair("neomutt-chain", "neomutt", True, None),
    # Evolution's library, not Evolution: GIO + glib-networking's GnuTLS backend as camel calls it
    Pair("gio-chain", "evolution", True, None),
    Pair("java-chain", "java", True, 0.995),
    Pair("java-tls-chain", "java", True, None),  # a real JSSE handshake per served chain
    Pair("go-chain", "go", True, None),
    Pair("python-chain", "python", True, None),
    Pair("node-chain", "node", True, None),
    Pair("thunderbird", "thunderbird", True, 0.998),
    # chain alone, the GnuTLS call without a purpose (mutt and NeoMutt: their own date checks
    # make the real programs, compared above, the better judges)
    *(Pair("gnutls-chain-nopurpose", p, False, None) for p in ("evolution", "msmtp")),
    *(Pair("java-chain", p, False, None) for p in ("jakarta", "jakarta-default")),
)
# the row each family member must equal, rules for rules (words and sources may differ), but
# for the rules a member takes from its own code: the GnuTLS clients give GnuTLS no purpose,
# so they check no EKU, and mutt and NeoMutt check the dates of every certificate sent
# (msmtp, mutt and NeoMutt proven over the wire, Evolution through GIO's real handshake)
FAMILY = {"evolution": "gnutls", "mutt": "gnutls", "neomutt": "gnutls", "msmtp": "gnutls",
          "jakarta": "java", "jakarta-default": "java"}
OWN_RULES = {"evolution": {"eku": EkuRule.UNCHECKED}, "mutt": {"eku": EkuRule.UNCHECKED, "sent_dates_checked": True},
             "neomutt": {"eku": EkuRule.UNCHECKED, "sent_dates_checked": True}, "msmtp": {"eku": EkuRule.UNCHECKED}}

_runs: dict[tuple[str, bool, str], concurrent.futures.Future[tuple[dict[str, OracleVerdict], float]]] = {}
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="chain-oracle")


def _requests(names: bool, source: str) -> tuple[ChainCase, ...]:
    return limbo_requests(names=names) if source == "limbo" else corpus_requests(names=names)


def _require(oracle: str) -> None:
    """Skip where the oracle cannot be built (fail in CI); builds it otherwise."""
    reason = unavailable_reason(oracle)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"oracle {oracle!r} must be available in CI: {reason}")
        pytest.skip(f"oracle {oracle!r} unavailable: {reason}")


def _real(oracle: str, names: bool, source: str) -> concurrent.futures.Future[tuple[dict[str, OracleVerdict], float]]:
    """One oracle process over one source's requests, started once per session in the
    background; its verdicts and run time."""
    key = (oracle, names, source)
    if key not in _runs:
        _runs[key] = _pool.submit(_timed_run, oracle, names, source)
    return _runs[key]


def _timed_run(oracle: str, names: bool, source: str) -> tuple[dict[str, OracleVerdict], float]:
    start = time.monotonic()
    return run_chain_oracle(oracle, _requests(names, source)), time.monotonic() - start


def audit(comparison: Comparison, rows: list[KnownDifference]) -> list[str]:
    """Every difference not covered by a row saying the same (the library accepts, mailcert
    refuses, or the other way), and every row that covers no difference any more.  A pattern
    may have one row per direction: a group of limbo cases can differ both ways for one reason."""
    def covers(k: KnownDifference, d: Disagreement) -> bool:
        return k.covers(d.cert_id, d.case.host) and k.real == d.real.accepted

    problems = [f"not listed in docs/clients.md: {d}" for d in comparison.disagreements if not any(covers(k, d) for k in rows)]
    problems += [f"{k}: no case it covers differs this way any more; remove the row"
                 for k in rows if not any(covers(k, d) for d in comparison.disagreements)]
    return problems


@pytest.fixture(scope="session")
def known() -> list[KnownDifference]:
    return parse_known_differences(DOC.read_text(encoding="utf-8"), HEADER, PROFILES)


_ours_runs: dict[tuple[bool, str], tuple[dict[str, dict[str, Verdict]], float]] = {}


def _ours(names: bool, source: str) -> tuple[dict[str, dict[str, Verdict]], float]:
    """mailcert's verdicts for every profile compared on this source, each chain validated once."""
    key = (names, source)
    if key not in _ours_runs:
        profiles = [p.profile for p in PAIRS if p.names == names and (source == "corpus" or p.limbo is not None)]
        start = time.monotonic()
        _ours_runs[key] = (whole_verdicts(profiles, _requests(names, source)), time.monotonic() - start)
    return _ours_runs[key]


def _compare(pair: Pair, source: str, capsys: pytest.CaptureFixture[str]) -> Comparison:
    _require(pair.oracle)
    requests = _requests(pair.names, source)
    # every oracle this source needs starts now, each its own process, while mailcert judges
    # (on limbo each side takes tens of seconds of CPU: they overlap on CI's two cores)
    for other in PAIRS:
        if other.names == pair.names and (source == "corpus" or other.limbo is not None):
            _real(other.oracle, other.names, source)
    all_ours, ours_took = _ours(pair.names, source)
    ours = all_ours[pair.profile]
    real, took = _real(pair.oracle, pair.names, source).result()
    differ = tuple(
        Disagreement(OracleCase(f"{r.id}|0", b"", r.host), real[r.id], f"{ours[r.id].code}: {ours[r.id].reason}")
        for r in requests if real[r.id].accepted != ours[r.id].accepted
    )
    comparison = Comparison(pair.profile, len(requests), differ)
    with capsys.disabled():
        print(f"\n  {source}: {pair.profile} vs {pair.oracle}{'' if pair.names else ' (chain only)'}:"
              f" {1 - len(differ) / len(requests):.4%} of {len(requests)}; real {took:.1f}s,"
              f" mailcert (all profiles compared on it) {ours_took:.1f}s")
    return comparison


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p.profile}-{p.oracle}")
def test_profile_agrees_with_its_library_on_the_chain_corpus(
    pair: Pair, known: list[KnownDifference], capsys: pytest.CaptureFixture[str]
) -> None:
    comparison = _compare(pair, "corpus", capsys)
    listed = [k for k in known if k.profile == pair.profile and k.cert_pattern.startswith("corpus:")]
    problems = audit(comparison, listed)
    assert not problems, f"{pair.profile}: {len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.limbo is not None], ids=lambda p: f"{p.profile}-{p.oracle}")
def test_profile_agrees_with_its_library_on_limbo(
    pair: Pair, known: list[KnownDifference], capsys: pytest.CaptureFixture[str]
) -> None:
    comparison = _compare(pair, "limbo", capsys)
    agreement = 1 - len(comparison.disagreements) / comparison.total
    listed = [k for k in known if k.profile == pair.profile and not k.cert_pattern.startswith("corpus:")]
    problems = audit(comparison, listed)
    assert not problems, f"{pair.profile}: {len(problems)} problem(s):\n" + "\n".join(problems[:60])
    assert pair.limbo is not None and agreement >= pair.limbo, f"{pair.profile}: {agreement:.4f} < {pair.limbo}"


@pytest.mark.parametrize(("member", "proven"), sorted(FAMILY.items()))
def test_family_rows_hold_the_proven_rules(member: str, proven: str) -> None:
    """A client sharing a library's chain rules keeps exactly the rules proven on limbo, but
    for those it takes from its own code (``OWN_RULES``), which it must hold."""
    own = OWN_RULES.get(member, {})
    assert {k: getattr(PROFILES[member].chain, k) for k in own} == own

    def rules(profile_id: str) -> object:
        proven_values = {k: getattr(PROFILES[proven].chain, k) for k in own}
        return PROFILES[profile_id].chain._replace(messages=(), source="", proof="", **proven_values)

    assert rules(member) == rules(proven)
