"""Each oracle is wired to its real library: answers beyond doubt come back right.

These tests do not judge any implementation; they prove the plumbing (build, protocol,
id echo, one verdict per case, a bad certificate not aborting the batch) so that the
differences the corpus shows are the libraries' and not the harness's.  An oracle that
cannot be built is skipped with the reason locally, and fails the run when `CI` is set:
in CI a missing oracle means scripts/deps/differential.sh was not run, which must not
pass silently as "all green".
"""

from __future__ import annotations

import os

import pytest

from tests.differential.corpus import Dns, issue
from tests.differential.oracles import (
    ORACLES,
    OracleCase,
    build,
    run_oracle,
    unavailable_reason,
)

pytestmark = pytest.mark.differential


def _require(name: str) -> None:
    reason = unavailable_reason(name)
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"oracle {name!r} must be available in CI: {reason}")
    pytest.skip(f"oracle {name!r} unavailable: {reason}")


@pytest.fixture(scope="module")
def known_cases() -> dict[str, tuple[OracleCase, bool]]:
    """Cases every TLS implementation agrees on (RFC 6125 and every library since 2010)."""
    exact = issue("known-exact", san=[Dns("mail.example.com")], cns=["mail.example.com"])
    wild = issue("known-wild", san=[Dns("*.example.com")])
    table = [
        (OracleCase("known-exact|0", exact, "mail.example.com"), True),
        (OracleCase("known-exact|1", exact, "unrelated.example.org"), False),
        (OracleCase("known-wild|0", wild, "a.example.com"), True),
        (OracleCase("known-wild|1", wild, "a.b.example.com"), False),
        (OracleCase("known-wild|2", wild, "example.com"), False),
    ]
    return {case.id: (case, expected) for case, expected in table}


@pytest.mark.parametrize("name", ORACLES)
def test_known_answers(name: str, known_cases: dict[str, tuple[OracleCase, bool]]) -> None:
    _require(name)
    verdicts = run_oracle(name, [case for case, _ in known_cases.values()])
    got = {case_id: verdict.accepted for case_id, verdict in verdicts.items()}
    assert got == {case_id: expected for case_id, (_, expected) in known_cases.items()}
    assert all(verdict.detail for verdict in verdicts.values()), verdicts


@pytest.mark.parametrize("name", ORACLES)
def test_bad_certificate_is_refused_and_batch_continues(name: str) -> None:
    """A certificate the library cannot parse is a refusal with the library's error."""
    _require(name)
    good = issue("known-after-garbage", san=[Dns("mail.example.com")])
    cases = [
        OracleCase("garbage|0", b"\x30\x03\x02\x01\x00", "mail.example.com"),
        OracleCase("known-after-garbage|0", good, "mail.example.com"),
    ]
    verdicts = run_oracle(name, cases)
    assert verdicts["garbage|0"].accepted is False
    assert verdicts["garbage|0"].detail
    assert verdicts["known-after-garbage|0"].accepted is True


@pytest.mark.parametrize("name", ORACLES)
def test_ids_and_unicode_hosts_round_trip(name: str) -> None:
    """Ids with JSON metacharacters and non-ASCII hosts survive each oracle's own parser."""
    _require(name)
    der = issue("known-roundtrip", san=[Dns("mail.example.com")])
    cases = [
        OracleCase('odd "id" \\ é|0', der, "mail.example.com"),
        OracleCase("unicode-host|0", der, "bücher.example"),
        # (GnuTLS drops C0 controls from the host before comparing, so the control
        # character sits in a host that is wrong with or without it)
        OracleCase("control-host|0", der, "other\u0001.example.org"),
    ]
    verdicts = run_oracle(name, cases)
    assert set(verdicts) == {case.id for case in cases}
    assert verdicts['odd "id" \\ é|0'].accepted is True
    assert verdicts["unicode-host|0"].accepted is False
    assert verdicts["control-host|0"].accepted is False


@pytest.mark.parametrize("name", ORACLES)
def test_build_is_cached(name: str) -> None:
    """A second build with unchanged sources reuses the first (the stamp is not rewritten)."""
    _require(name)
    out = build(name)
    before = (out / "stamp").stat().st_mtime_ns
    assert build(name) == out
    assert (out / "stamp").stat().st_mtime_ns == before
