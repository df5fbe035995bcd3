"""A scan line is the same text whether its judgement was remembered or made afresh: the
judged part is written once per judgement and joined to each target's own keys, and the
join must not change a byte, hostile text (bidi overrides, C1 controls, escapes) included."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from cryptography.hazmat.primitives.asymmetric import ec

from mailcert.certs.chain import TrustStore
from mailcert.doctor import NotProbed, diagnose
from mailcert.judgement import Judgement
from mailcert.model import parse_target
from mailcert.names import PROFILES
from mailcert.probe.driver import ProbeResult, SniPair
from mailcert.report.scanline import line, line_document
from mailcert.scan.runner import ScanResult
from mailcert.scan.targets import Target
from tests.factory import NOW, chain_cert, der
from tests.scan.helpers import whole_line

HOSTILE = "\u202egnp.exe\x85\x1b[31m\u200f\"\\"  # bidi override, C1 NEL, an escape sequence, quote, backslash
NAME = "mail.example.com"
NOT_PROBED = NotProbed("not probed (scan makes the SNI connection only)")


def _served() -> tuple[tuple[bytes, ...], TrustStore]:
    key = ec.generate_private_key(ec.SECP256R1())
    day = dt.timedelta(days=1)
    root = chain_cert(f"Root {HOSTILE}", key=key, not_before=NOW - 9 * day, not_after=NOW + 900 * day, ca=True)
    # the typed name is not the certificate's: refusals and findings quote both
    leaf = chain_cert(f"leaf {HOSTILE}", root, key=key, not_before=NOW - day, not_after=NOW + 20 * day, san=("other.example.com",))
    return (der(leaf.cert), der(root.cert)), TrustStore([root.cert], f"store {HOSTILE}")


def _result(chain: tuple[bytes, ...], judgement: Judgement, port: int, banner: str, name: str) -> ScanResult:
    endpoint = parse_target(f"imaps://127.0.0.1:{port}")
    served = ProbeResult(endpoint, ("127.0.0.1", port), name, chain, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                         None, banner, None, (), (), 0.0123)
    target = Target(f"imaps://127.0.0.1:{port}", name, endpoint)
    d = diagnose(SniPair(name, served, NOT_PROBED), (name,), judgement)
    return ScanResult(target, d.assessment.status, diagnosis=d, url=endpoint.url)


def test_remembered_and_fresh_lines_are_the_same_text() -> None:
    chain, store = _served()
    profiles = tuple(PROFILES.values())
    judgement = Judgement(profiles, store, NOW, 30, 7)
    name = f"{NAME}{HOSTILE}"
    lines = []
    for port, banner in ((9931, f"* OK {HOSTILE}"), (9932, "* OK ready"), (9931, f"* OK {HOSTILE}"), (9932, "+OK \x9b2J")):
        remembered = _result(chain, judgement, port, banner, name)
        fresh = _result(chain, Judgement(profiles, store, NOW, 30, 7), port, banner, name)  # a new judgement: nothing remembered
        text = line(remembered)
        assert text == line(fresh) == whole_line(remembered) == whole_line(fresh)
        assert json.loads(text) == json.loads(json.dumps(line_document(remembered)))
        lines.append(text)
    assert lines[0] == lines[2] and lines[0] != lines[1]
    doc = json.loads(lines[3])
    # hostile text arrives whole in the values, escaped in the text: nothing a terminal obeys
    assert doc["trust"]["store"] == f"store {HOSTILE}" and doc["name"] == name
    assert doc["connections"]["with_sni"]["banner"] == "+OK \x9b2J"
    assert any(HOSTILE in f["title"] + f["explanation"] for f in doc["findings"]) and any(not r["accepted"] for r in doc["results"])
    assert all(ch.isprintable() for ch in lines[3]) and "\\u202e" in lines[3] and "\\u009b" in lines[3]


def test_a_changed_judgement_is_not_written_from_memory() -> None:
    """Same chain, same ports: another store label, other names, or a connection finding (old
    TLS) change the judged part or the status, and the line says so."""
    chain, store = _served()
    profiles = tuple(PROFILES.values())
    judgement = Judgement(profiles, store, NOW, 30, 7)
    first = _result(chain, judgement, 9931, "* OK", NAME)
    other_store = Judgement(profiles, TrustStore(list(store.anchors), "another label"), NOW, 30, 7)
    relabelled = _result(chain, other_store, 9931, "* OK", NAME)
    renamed = _result(chain, judgement, 9931, "* OK", "other.example.com")
    assert json.loads(line(relabelled))["trust"]["store"] == "another label"
    assert json.loads(line(renamed))["names"] == ["other.example.com"]
    assert line(first) == whole_line(first)
    assert first.diagnosis is not None
    old_tls = dataclasses.replace(first.diagnosis.served, tls_version="TLSv1")
    downgraded = diagnose(SniPair(NAME, old_tls, NOT_PROBED), (NAME,), judgement)
    result = ScanResult(first.target, downgraded.assessment.status, diagnosis=downgraded, url=first.url)
    assert "old-tls-version" in [f["code"] for f in json.loads(line(result))["findings"]]
    assert line(result) == whole_line(result)
