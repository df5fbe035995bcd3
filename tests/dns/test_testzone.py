"""The DNS fixture itself: dnsmasq answers the test zone, and only from it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rcode
import pytest


def load_testzone() -> Any:
    """tests/dns/testzone.py by path: this directory must not be a package named ``dns``."""
    name = "mailcert_tests_testzone"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("testzone.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with load_testzone().dnsmasq_server() as s:
        yield s


def ask(server: Any, name: str, rdtype: str) -> Any:
    return dns.query.udp(dns.message.make_query(name, rdtype), server.host, port=server.port, timeout=2)


def test_serves_a_aaaa_mx_srv(server: Any) -> None:
    a = ask(server, "remote.contoso.test.", "A")
    assert [r.address for rr in a.answer for r in rr] == ["192.0.2.10"]
    aaaa = ask(server, "remote.contoso.test.", "AAAA")
    assert [r.address for rr in aaaa.answer for r in rr] == ["2001:db8::10"]
    mx = ask(server, "contoso.test.", "MX")
    assert sorted((r.preference, r.exchange.to_text()) for rr in mx.answer for r in rr) == [
        (10, "mail.contoso.test."),
        (20, "remote.contoso.test."),
    ]
    srv = ask(server, "_imaps._tcp.contoso.test.", "SRV")
    assert [(r.port, r.target.to_text()) for rr in srv.answer for r in rr] == [(993, "remote.contoso.test.")]


def test_unknown_names_in_the_zone_are_nxdomain_not_forwarded(server: Any) -> None:
    assert ask(server, "nothing.contoso.test.", "A").rcode() == dns.rcode.NXDOMAIN
    assert ask(server, "gone.broken.test.", "A").rcode() == dns.rcode.NXDOMAIN
