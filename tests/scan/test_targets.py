"""Targets: file lines (table), streams, and ``--domain`` lookups (a fake resolver, and real DNS
from a private dnsmasq on loopback with scans of what it names)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailcert.address import DnsResolver
from mailcert.model import Endpoint, Protocol, TlsMode
from mailcert.scan.targets import Target, count_targets, domain_targets, parse_line, read_targets
from tests.dns.test_testzone import load_testzone

IMAPS, SMTP = (Protocol.IMAP, TlsMode.IMPLICIT), (Protocol.SMTP, TlsMode.STARTTLS)


@pytest.mark.parametrize(
    ("line", "text", "name", "endpoint"),
    [
        ("mail.example.com", "mail.example.com", "mail.example.com", ("mail.example.com", 993, *IMAPS)),
        ("mail.example.com:587 remote.example.com", "mail.example.com:587", "remote.example.com", ("mail.example.com", 587, *SMTP)),
        ("  imaps://10.0.0.5  remote.contoso.com   # the SBS box", "imaps://10.0.0.5", "remote.contoso.com", ("10.0.0.5", 993, *IMAPS)),
        ("smtp://mx.example.com:25\n", "smtp://mx.example.com:25", "mx.example.com", ("mx.example.com", 25, *SMTP)),
        ("[2001:db8::1]:993", "[2001:db8::1]:993", "2001:db8::1", ("2001:db8::1", 993, *IMAPS)),
        ("pop3s://Mail.Example.com\tMail.Example.com", "pop3s://Mail.Example.com", "Mail.Example.com",
         ("Mail.Example.com", 995, Protocol.POP3, TlsMode.IMPLICIT)),
    ],
)
def test_good_lines(line: str, text: str, name: str, endpoint: tuple[Any, ...]) -> None:
    target = parse_line(line, "f:1")
    assert target is not None and target.problem is None
    assert (target.text, target.name, target.endpoint) == (text, name, Endpoint(*endpoint))


@pytest.mark.parametrize("line", ["", "   ", "# just a comment", "   # indented comment", "\n"])
def test_blank_and_comment_lines_are_not_targets(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("mail.example.com:99", "port 99 is not a standard mail port"),
        ("gopher://mail.example.com", "unknown scheme 'gopher'"),
        ("imaps://user@mail.example.com", "leave credentials out"),
        ("mail.example.com remote.example.com extra", "expected TARGET [NAME], got 3 words"),
        ("imaps://[::1", "target 'imaps://[::1'"),
        ("mail.example.com:0", "port must be a number from 1 to 65535"),
    ],
)
def test_bad_lines_become_targets_with_a_problem(line: str, problem: str) -> None:
    target = parse_line(line, "fleet.txt:7")
    assert target is not None and target.endpoint is None
    assert target.problem is not None and target.problem.startswith("fleet.txt:7: ") and problem in target.problem


def test_read_targets_streams_in_order_with_line_numbers(tmp_path: Path) -> None:
    lines = ["# fleet", "a.example.com", "", "b.example.com:465 mail.b.example", "bad:1", "c.example.com # end"]
    got = list(read_targets(iter(lines), "fleet.txt"))
    assert [t.text for t in got] == ["a.example.com", "b.example.com:465", "bad:1", "c.example.com"]
    assert got[2].problem is not None and got[2].problem.startswith("fleet.txt:5:")
    path = tmp_path / "fleet.txt"
    path.write_text("\n".join(lines) + "\n")
    assert count_targets(path.read_text().splitlines()) == 4


def test_targets_pickle_and_compare() -> None:
    import pickle

    t = parse_line("smtps://mail.example.com remote.example.com", "f:1")
    assert t is not None and pickle.loads(pickle.dumps(t)) == t and t.host == "mail.example.com"
    assert Target("x", "x", None, connect="127.0.0.7").host == "127.0.0.7"


class FakeResolver:
    def __init__(self, mx: dict[str, tuple[tuple[int, str], ...]], a: dict[str, tuple[str, ...]],
                 srv: dict[str, tuple[tuple[int, int, int, str], ...]] | None = None) -> None:
        self._mx, self._a, self._srv = mx, a, srv or {}

    def addresses(self, name: str) -> tuple[str, ...]:
        return self._a.get(name, ())

    def mx(self, domain: str) -> tuple[tuple[int, str], ...]:
        return self._mx.get(domain, ())

    def srv(self, name: str) -> tuple[tuple[int, int, int, str], ...]:
        return self._srv.get(name, ())


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        # (text, name, connect, problem?) per target
        ("two.test", [("smtp://mx1.two.test:25", "mx1.two.test", "192.0.2.1", False),
                      ("smtp://mx2.two.test:25", "mx2.two.test", None, True)]),
        ("nomx.test", [("smtp://nomx.test:25", "nomx.test", "192.0.2.9", False)]),  # RFC 5321 implicit MX
        ("null.test", [("smtp://null.test:25", "null.test", None, True)]),  # RFC 7505 null MX
    ],
)
def test_domain_targets_from_dns_answers(domain: str, expected: list[tuple[str, str, str | None, bool]]) -> None:
    resolver = FakeResolver(
        mx={"two.test": ((10, "mx1.two.test"), (20, "mx2.two.test")), "null.test": ((0, ""),)},
        a={"mx1.two.test": ("192.0.2.1",), "nomx.test": ("192.0.2.9",)},
    )
    got = domain_targets(domain, resolver)
    assert [(t.text, t.name, t.connect, t.problem is not None) for t in got] == expected


def test_domain_services_follow_srv_and_usual_names() -> None:
    resolver = FakeResolver(
        mx={"c.test": ((10, "mx.c.test"),)},
        a={"mx.c.test": ("192.0.2.1",), "imap.c.test": ("192.0.2.2",), "mail.c.test": ("192.0.2.3",), "box.c.test": ("192.0.2.4",)},
        srv={"_submission._tcp.c.test": ((0, 1, 587, "box.c.test"),), "_pop3s._tcp.c.test": ((0, 0, 0, "."),)},
    )
    got = [(t.text, t.connect) for t in domain_targets("C.test.", resolver, services=True)]
    assert got == [
        ("smtp://mx.c.test:25", "192.0.2.1"),
        ("smtp://box.c.test:587", "192.0.2.4"),
        ("imaps://imap.c.test:993", "192.0.2.2"),
        ("imaps://mail.c.test:993", "192.0.2.3"),
        ("smtp://mail.c.test:587", "192.0.2.3"),
    ]


# --- real DNS (dnsmasq on loopback) and real servers behind the names it gives -----------------

ZONE = "fleet.test"


@pytest.fixture(scope="module")
def smtp25_forwarder(postfix: Any) -> Iterator[str]:
    """127.45.0.1:25 forwarding to the test Postfix: an MX answer is always port 25."""
    import os
    import threading

    if os.geteuid() != 0:
        pytest.skip("binding port 25 needs root")
    loop = asyncio.new_event_loop()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", postfix.smtp_port)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    try:
        server = loop.run_until_complete(asyncio.start_server(handle, "127.45.0.1", 25))
    except OSError as exc:
        loop.close()
        pytest.skip(f"cannot listen on 127.45.0.1:25: {exc}")
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield "127.45.0.1"
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def test_scan_domain_through_real_dns(dovecot: Any, smtp25_forwarder: str, server_pki: Any, tmp_path: Path) -> None:
    from tests.scan.helpers import mailcert

    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    zone = (
        f"--mx-host={ZONE},mx.{ZONE},10",
        f"--mx-host={ZONE},gone.{ZONE},20",
        f"--host-record=mx.{ZONE},{smtp25_forwarder}",
        f"--host-record=box.{ZONE},127.0.0.1",
        f"--srv-host=_imaps._tcp.{ZONE},box.{ZONE},{dovecot.imaps_port},0,1",
        f"--srv-host=_pop3._tcp.{ZONE},box.{ZONE},{dovecot.pop3_port},0,1",
    )
    with load_testzone().dnsmasq_server(zone=zone, domains=(ZONE,)) as dns_server:
        resolver = DnsResolver([dns_server.nameserver], timeout=3)
        targets = domain_targets(ZONE, resolver, services=True)
        assert [(t.text, t.connect, t.problem is None) for t in targets] == [
            (f"smtp://mx.{ZONE}:25", smtp25_forwarder, True),
            (f"smtp://gone.{ZONE}:25", None, False),
            (f"imaps://box.{ZONE}:{dovecot.imaps_port}", "127.0.0.1", True),
            (f"pop3://box.{ZONE}:{dovecot.pop3_port}", "127.0.0.1", True),
        ]
        run = mailcert("scan", "--domain", ZONE, "--services", "--nameserver", dns_server.nameserver,
                       "--db", str(tmp_path / "i.sqlite3"), "--cafile", str(server_pki.ca.cert_path), "--timeout", "5")
    free.close()
    lines = {line["target"]: line for line in run.lines}
    assert set(lines) == {t.text for t in targets}, run.stderr
    # the certificate is judged for the MX/SRV host name; the SBS certificate does not cover them
    for text in (f"smtp://mx.{ZONE}:25", f"imaps://box.{ZONE}:{dovecot.imaps_port}", f"pop3://box.{ZONE}:{dovecot.pop3_port}"):
        line = lines[text]
        assert line["status"] == "CRITICAL" and line["certificate"]["san"][0] == ["DNS", "sbs.contoso.local"], line.get("error")
        assert "name-absent" in [f["code"] for f in line["findings"]]
    assert lines[f"smtp://mx.{ZONE}:25"]["connections"]["with_sni"]["starttls_offered"] is True
    gone = lines[f"smtp://gone.{ZONE}:25"]
    assert gone["status"] == "UNKNOWN" and "does not resolve" in gone["error"]
