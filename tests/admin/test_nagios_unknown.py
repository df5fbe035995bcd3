"""``check --format nagios`` as Nagios runs it: whatever goes wrong, one plugin line on
standard output and exit 3 (Nagios shows only standard output; empty reads "(null)")."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tests.servers.ports import pick_free_ports, release_ports


def plugin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailcert", "check", *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def assert_unknown_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 3, done
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("MAILCERT UNKNOWN - "), done.stdout
    assert "|" not in lines[0]
    for word in words:
        assert word in lines[0]
    assert done.stderr.count("\n") <= 1 and "Traceback" not in done.stderr


@pytest.fixture()
def closed_port() -> Iterator[int]:
    (port,) = pick_free_ports(1)
    yield port  # nothing listens there: connection refused
    release_ports([port])


@pytest.fixture()
def mute_port() -> Iterator[int]:
    """A TCP listener that accepts and never says a word (a hung server, a firewall that eats TLS)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    accepted.append(listener.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        yield listener.getsockname()[1]
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()


def test_connection_refused(closed_port: int) -> None:
    assert_unknown_line(plugin(f"imaps://127.0.0.1:{closed_port}", "--format", "nagios"), f"127.0.0.1:{closed_port}", "refused")


def test_server_that_never_answers(mute_port: int) -> None:
    done = plugin(f"imap://127.0.0.1:{mute_port}", "--format", "nagios", "--timeout", "1")
    assert_unknown_line(done, f"127.0.0.1:{mute_port}")


@pytest.mark.parametrize(
    "args",
    [
        ("imaps://127.0.0.1:993", "--cafile", "/nonexistent/ca.pem", "--format", "nagios"),
        ("imaps://127.0.0.1:993", "--format=nagios", "--timeout", "soon"),
        ("--format", "nagios", "imap://[::1", "--timeout", "1"),
        ("imaps://127.0.0.1:993", "--format", "nagios", "--client", "no-such-client"),
    ],
)
def test_bad_command_lines_still_give_a_plugin_line(args: tuple[str, ...]) -> None:
    assert_unknown_line(plugin(*args))


def test_other_formats_keep_standard_output_empty(closed_port: int) -> None:
    done = plugin(f"imaps://127.0.0.1:{closed_port}", "--format", "json")
    assert done.returncode == 3 and done.stdout == "" and "refused" in done.stderr
