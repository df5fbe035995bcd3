"""Each client profile against its real library, on every case of the differential corpus.

For every profile that has a real implementation here (the oracles of ``oracles.py``: the
profile id is the oracle name), the whole corpus (~320 certificates, ~1900 (certificate,
host) cases) goes once through the library and once through mailcert
(``PresentedIdentifiers.from_certificate`` + ``check_name``).  They must agree on accept /
refuse for every case except the known differences listed, with their reasons, in the
"Known differences" table of ``docs/clients.md``.  The table is read here: a listed case
that no longer differs (or differs the other way) fails too, so the list stays true.

Table rows: ``| profile | case | real | mailcert | reason |``.  ``case`` is
``<certificate id> <host>`` in backticks, either part an ``fnmatch`` pattern (``*``, ``?``,
``[...]``; ``[*]`` for a literal star), the host optional (all hosts) and written with
backslash escapes (``\\t``, ``\\u3002``); ``real`` and ``mailcert`` are ``accept`` or
``refuse``.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from mailcert.names import PROFILES, PresentedIdentifiers, check_name
from tests.differential.corpus import CorpusCert, generate
from tests.differential.oracles import ORACLES, OracleCase, OracleVerdict, cases_for, run_oracle, unavailable_reason

pytestmark = [
    pytest.mark.differential,
    # the corpus holds over-long and empty CNs on purpose; cryptography warns about each
    pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning"),
]

DOC = Path(__file__).resolve().parents[2] / "docs" / "clients.md"
END_OF_GENERATED = "<!-- end of generated part -->"
TABLE_HEADER = ["profile", "case", "real", "mailcert", "reason"]
MIN_AGREEMENT = 0.99


@dataclass(frozen=True)
class KnownDifference:
    """One row of the known-differences table."""

    profile: str
    cert_pattern: str
    host_pattern: str | None
    real: bool
    mailcert: bool
    reason: str
    line: int

    def covers(self, cert_id: str, host: str) -> bool:
        if not fnmatch.fnmatchcase(cert_id, self.cert_pattern):
            return False
        return self.host_pattern is None or fnmatch.fnmatchcase(host, self.host_pattern)

    def __str__(self) -> str:
        case = self.cert_pattern if self.host_pattern is None else f"{self.cert_pattern} {self.host_pattern!r}"
        return f"docs/clients.md line {self.line}: {self.profile} {case}"


def _unescape(text: str) -> str:
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


def parse_known_differences(
    doc: str, header: Sequence[str] = TABLE_HEADER, profiles: Collection[str] = ORACLES
) -> list[KnownDifference]:
    """The known-differences table (the one headed ``header``) after the generated part of
    docs/clients.md; each row's profile must be one of ``profiles``."""
    if END_OF_GENERATED not in doc:
        raise AssertionError(f"docs/clients.md has no {END_OF_GENERATED!r} line")
    start = doc.index(END_OF_GENERATED)
    first_line = doc[:start].count("\n") + 1
    words = {"accept": True, "refuse": False}
    rows: list[KnownDifference] = []
    in_table = False
    for number, line in enumerate(doc[start:].splitlines(), start=first_line):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells == list(header):
            in_table = True
            continue
        if not in_table or set("".join(cells)) <= {"-", ":"}:
            continue  # another table, or the header's separator row
        where = f"docs/clients.md line {number}"
        if len(cells) != len(header):
            raise AssertionError(f"{where}: expected {len(header)} cells, got {cells}")
        profile, case, real, ours, reason = cells
        cert_pattern, _, host_pattern = case.strip("`").partition(" ")
        if profile not in profiles:
            raise AssertionError(f"{where}: {profile!r} is not a profile with an oracle ({', '.join(profiles)})")
        if real not in words or ours not in words or real == ours:
            raise AssertionError(f"{where}: real and mailcert must be 'accept' or 'refuse', and differ")
        if not reason:
            raise AssertionError(f"{where}: a known difference needs its reason")
        host = _unescape(host_pattern) if host_pattern else None
        rows.append(KnownDifference(profile, cert_pattern, host, words[real], words[ours], reason, number))
    return rows


@pytest.fixture(scope="session")
def corpus() -> list[CorpusCert]:
    return generate()


@pytest.fixture(scope="session")
def cases(corpus: list[CorpusCert]) -> list[OracleCase]:
    return cases_for(corpus)


@pytest.fixture(scope="session")
def identifiers(corpus: list[CorpusCert]) -> dict[str, PresentedIdentifiers]:
    return {cert.id: PresentedIdentifiers.from_certificate(x509.load_der_x509_certificate(cert.der)) for cert in corpus}


@pytest.fixture(scope="session")
def known() -> list[KnownDifference]:
    return parse_known_differences(DOC.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Disagreement:
    case: OracleCase
    real: OracleVerdict
    reason: str

    @property
    def cert_id(self) -> str:
        return self.case.id.rpartition("|")[0]

    def __str__(self) -> str:
        said = "accepts" if self.real.accepted else "refuses"
        return f"{self.cert_id} {self.case.host!r}: the library {said} ({self.real.detail}); mailcert: {self.reason}"


@dataclass(frozen=True)
class Comparison:
    """One profile against its library on the whole corpus."""

    profile: str
    total: int
    disagreements: tuple[Disagreement, ...]


@pytest.fixture(scope="session", params=ORACLES)
def comparison(
    request: pytest.FixtureRequest, cases: list[OracleCase], identifiers: dict[str, PresentedIdentifiers]
) -> Comparison:
    """Run one oracle once per session (one process for the whole corpus) and mailcert alike."""
    name: str = request.param
    reason = unavailable_reason(name)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"oracle {name!r} must be available in CI: {reason}")
        pytest.skip(f"oracle {name!r} unavailable: {reason}")
    profile = PROFILES[name]
    real = run_oracle(name, cases)
    disagreements = []
    for case in cases:
        verdict = check_name(profile, identifiers[case.id.rpartition("|")[0]], case.host)
        if verdict.accepted != real[case.id].accepted:
            disagreements.append(Disagreement(case, real[case.id], verdict.reason))
    return Comparison(name, len(cases), tuple(disagreements))


def test_every_oracle_has_a_profile() -> None:
    assert set(ORACLES) <= set(PROFILES)


def test_known_differences_table_is_well_formed(known: list[KnownDifference]) -> None:
    """The table parses and lists each case once (two rows for one case hide a mistake)."""
    seen = {(k.profile, k.cert_pattern, k.host_pattern) for k in known}
    assert len(seen) == len(known)


def audit(comparison: Comparison, known: list[KnownDifference]) -> list[str]:
    """Every disagreement not listed, and every listed row that is no longer true."""
    listed = [k for k in known if k.profile == comparison.profile]
    problems = [
        f"not listed in docs/clients.md: {d}"
        for d in comparison.disagreements
        if not any(k.covers(d.cert_id, d.case.host) for k in listed)
    ]
    for k in listed:
        covered = [d for d in comparison.disagreements if k.covers(d.cert_id, d.case.host)]
        if not covered:
            problems.append(f"{k}: no case it covers differs any more; remove the row")
        problems += [
            f"{k}: differs the other way: {d}" for d in covered if d.real.accepted != k.real
        ]
    return problems


def test_profile_agrees_with_its_library(
    comparison: Comparison, known: list[KnownDifference], capsys: pytest.CaptureFixture[str]
) -> None:
    """Same accept/refuse on every case, except the listed differences, which must still differ."""
    agree = comparison.total - len(comparison.disagreements)
    with capsys.disabled():
        print(
            f"\n  {comparison.profile:8} agrees with its library on {agree}/{comparison.total} cases"
            f" ({agree / comparison.total:.2%}); {len(comparison.disagreements)} listed difference(s)"
        )
    problems = audit(comparison, known)
    assert not problems, f"{comparison.profile}: {len(problems)} problem(s):\n" + "\n".join(problems[:40])


def test_agreement_is_at_least_99_percent(comparison: Comparison) -> None:
    agree = comparison.total - len(comparison.disagreements)
    assert agree / comparison.total >= MIN_AGREEMENT, (
        f"{comparison.profile}: {agree}/{comparison.total}; tune the profile rather than listing differences"
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("| gnutls | `host-weird-wild a.example.com\\t` | accept | refuse | control characters |", ("host-weird-wild", "a.example.com\t")),
        ("| nss | `ip-*` | refuse | accept | all hosts |", ("ip-*", None)),
        ("| java | `idna-* b\\u00fccher.example` | accept | refuse | escapes |", ("idna-*", "bücher.example")),
    ],
)
def test_table_rows_parse(row: str, expected: tuple[str, str | None]) -> None:
    doc = f"{END_OF_GENERATED}\n\n| profile | case | real | mailcert | reason |\n|---|---|---|---|---|\n{row}\n"
    (k,) = parse_known_differences(doc)
    assert (k.cert_pattern, k.host_pattern) == expected
    assert k.real != k.mailcert


def _synthetic(real_accepts: bool | None) -> Comparison:
    """A comparison of one case, differing (the library says ``real_accepts``) or not (None)."""
    case = OracleCase("host-weird-wild|7", b"", "a.example.com\t")
    if real_accepts is None:
        return Comparison("gnutls", 1, ())
    return Comparison("gnutls", 1, (Disagreement(case, OracleVerdict(real_accepts, "detail"), "ours"),))


ROW = KnownDifference("gnutls", "host-weird-wild", "a.example.com\t", True, False, "control characters", 1)


@pytest.mark.parametrize(
    ("real_accepts", "rows", "expected"),
    [
        (True, [ROW], []),  # listed and still differing as listed
        (True, [], ["not listed"]),  # an unlisted difference
        (None, [ROW], ["no case it covers differs any more"]),  # a stale row
        (False, [ROW], ["differs the other way"]),  # the library changed its mind
        (True, [KnownDifference("nss", "host-weird-wild", None, True, False, "x", 2)], ["not listed"]),  # another profile's row
    ],
)
def test_audit(real_accepts: bool | None, rows: list[KnownDifference], expected: list[str]) -> None:
    problems = audit(_synthetic(real_accepts), rows)
    assert len(problems) == len(expected)
    assert all(e in p for e, p in zip(expected, problems))


@pytest.mark.parametrize(
    "row",
    [
        "| gnutls | `host-weird-wild` | accept | accept | they do not differ |",
        "| gnutls | `host-weird-wild` | yes | no | not accept/refuse |",
        "| outlook | `sbs-*` | accept | refuse | no oracle for this profile |",
        "| gnutls | `host-weird-wild` | accept | refuse |  |",
        "| gnutls | `host-weird-wild` | accept | refuse |",
    ],
)
def test_malformed_rows_are_refused(row: str) -> None:
    doc = f"{END_OF_GENERATED}\n\n| profile | case | real | mailcert | reason |\n|---|---|---|---|---|\n{row}\n"
    with pytest.raises(AssertionError, match="docs/clients.md line 5"):
        parse_known_differences(doc)
