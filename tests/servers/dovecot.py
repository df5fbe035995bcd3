"""A private Dovecot (IMAP + POP3) instance for tests: own config, own ports, own runtime dirs.

Nothing under /etc/dovecot is read and no standard port is used, so it can run next to a system
Dovecot and next to other test instances.  Recipe and pitfalls: LAB.md §2 and §7.

Config layout (``config_dir``, default ``<workdir>/etc``)::

    dovecot.conf          everything (layout="single"), or general settings + ``!include conf.d/*.conf``
    conf.d/10-ssl.conf    only with layout="debian": ssl_cert/ssl_key/ssl_dh, like Debian's /etc/dovecot

Inside ``dovecot.conf`` one block between ``# BEGIN mailcert-test runtime`` and ``# END ...`` holds what
depends on *this* run (paths under ``workdir``, listen address, ports).  :meth:`DovecotServer.start`
rewrites only that block; every other line - in particular the ``ssl_cert = </path`` lines a deploy
test edits - is left as it is.  That is also what makes "construct from an existing config dir" work:
the new instance keeps the edited SSL lines and gets its own paths and free ports.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from .ports import PortedServer, ServerNotReady, pick_free_ports, release_ports, wait_for_greeting, wait_ports_closed
from .procs import (
    ServerError,
    ensure_traversable,
    find_binary,
    kill_processes,
    run,
    spawn,
    tail,
    terminate,
    wait_no_processes,
)
from .tlsclient import Endpoint, wait_for_leaf

#: DH parameters shipped by Debian's dovecot-core.  Without ssl_dh every DHE handshake fails with an
#: "unexpected eof" on the client (LAB.md pitfall 3) and scanners report bogus errors.
DH_PEM = Path("/usr/share/dovecot/dh.pem")

#: Any user logs in with this password (static passdb).
PASSWORD = "test"

_BEGIN = "# BEGIN mailcert-test runtime"
_END = "# END mailcert-test runtime"
_RUNTIME_RE = re.compile(re.escape(_BEGIN) + r".*?" + re.escape(_END) + r"\n?", re.S)

# (name, starttls protocol or None for implicit TLS, greeting prefix)
_ENDPOINTS: tuple[tuple[str, Literal["imap", "pop3"] | None, bytes], ...] = (
    ("imap", "imap", b"* OK"),
    ("imaps", None, b"* OK"),
    ("pop3", "pop3", b"+OK"),
    ("pop3s", None, b"+OK"),
)


def _ssl_lines(cert: Path, key: Path) -> str:
    return (
        "ssl = yes\n"
        f"ssl_cert = <{cert}\n"
        f"ssl_key = <{key}\n"
        f"ssl_dh = <{DH_PEM}\n"
        "ssl_min_protocol = TLSv1.2\n"
    )


_GENERAL = """\
# mailcert test Dovecot: a private instance; nothing from /etc/dovecot is used.
# The "mailcert-test runtime" block is rewritten by DovecotServer.start(); edit anything else.
protocols = imap pop3
default_login_user = dovenull
default_internal_user = dovecot
auth_mechanisms = plain login
disable_plaintext_auth = yes
mail_location = maildir:~/Maildir
passdb {
  driver = static
  args = password=%s
}
""" % PASSWORD


class DovecotServer(PortedServer):
    """Start/stop/reload a private Dovecot serving a given certificate on four free loopback ports.

    ``DovecotServer(workdir, cert, key)`` writes a fresh config; ``DovecotServer(workdir,
    config_dir=existing)`` (cert/key omitted) reuses a config dir written earlier by a DovecotServer,
    e.g. one whose ``ssl_cert`` lines a deploy test edited.  Ports are chosen in :meth:`start` (kept
    across restarts while still free).  Needs root (the login processes drop to ``dovenull``).
    """

    def __init__(
        self,
        workdir: Path,
        cert_pem_path: Path | None = None,
        key_pem_path: Path | None = None,
        *,
        listen: str = "127.0.0.1",
        config_dir: Path | None = None,
        layout: Literal["single", "debian"] = "single",
        local_certs: Mapping[str, tuple[Path, Path]] | None = None,
    ) -> None:
        """``local_certs`` maps more listen addresses to their own (cert, key): one instance then
        serves many certificates at once, each on its own loopback address (Dovecot ``local``
        blocks), so clients can be run against all of them in parallel without reloads."""
        self.workdir = Path(workdir).resolve()
        self.local_certs = dict(local_certs or {})
        if self.local_certs:
            listen = ", ".join([listen, *self.local_certs])
        self.listen = listen
        self.hosts: tuple[str, ...] = tuple(h.strip() for h in listen.split(",") if h.strip())
        self.config_dir = Path(config_dir).resolve() if config_dir else self.workdir / "etc"
        self._proc: subprocess.Popen[bytes] | None = None
        self._ports: dict[str, int] = {}
        self.last_start_seconds: float | None = None
        self.last_stop_seconds: float | None = None
        self.last_reload_seconds: float | None = None
        if len(str(self.workdir)) > 70:
            # base_dir holds unix sockets like login/imap-urlauth; sun_path is limited to 108 bytes.
            raise ServerError(f"workdir path too long for Dovecot's unix sockets: {self.workdir}")
        if self.config_path.exists():
            if cert_pem_path or key_pem_path:
                raise ValueError("config_dir already has dovecot.conf: pass no cert/key, edit its ssl lines instead")
            if _BEGIN not in self.config_path.read_text():
                raise ServerError(f"{self.config_path} was not written by DovecotServer (no runtime block)")
        else:
            if not (cert_pem_path and key_pem_path):
                raise ValueError("cert_pem_path and key_pem_path are required for a new config")
            self._write_config(Path(cert_pem_path).resolve(), Path(key_pem_path).resolve(), layout)
            if self.local_certs:
                blocks = "".join(
                    f"local {address} {{\n  ssl_cert = <{Path(c).resolve()}\n  ssl_key = <{Path(k).resolve()}\n}}\n"
                    for address, (c, k) in self.local_certs.items()
                )
                self.config_path.write_text(self.config_path.read_text().replace(_BEGIN, blocks + _BEGIN, 1))

    # ---------------------------------------------------------------- paths and addresses
    @property
    def config_path(self) -> Path:
        """The main config file (``dovecot -c`` argument)."""
        return self.config_dir / "dovecot.conf"

    @property
    def ssl_config_path(self) -> Path:
        """The file holding the top-level ``ssl_cert = <`` / ``ssl_key = <`` lines."""
        debian = self.config_dir / "conf.d" / "10-ssl.conf"
        return debian if debian.exists() else self.config_path

    @property
    def log_path(self) -> Path:
        """Dovecot's own log (``log_path``); master stdout/stderr go next to it."""
        return self.workdir / "log" / "dovecot.log"

    @property
    def host(self) -> str:
        """The first listen address (an IP): where clients connect."""
        return self.hosts[0]

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """PID of the Dovecot master (our child, started with ``-F``)."""
        return self._proc.pid if self._proc else None

    @property
    def imap_port(self) -> int:
        """IMAP with STARTTLS (143-style)."""
        return self._port("imap")

    @property
    def imaps_port(self) -> int:
        """IMAP over implicit TLS (993-style)."""
        return self._port("imaps")

    @property
    def pop3_port(self) -> int:
        """POP3 with STLS (110-style)."""
        return self._port("pop3")

    @property
    def pop3s_port(self) -> int:
        """POP3 over implicit TLS (995-style)."""
        return self._port("pop3s")

    def endpoints(self) -> list[Endpoint]:
        """The four TLS endpoints (on :attr:`host`) in the order imap, imaps, pop3, pop3s."""
        return [Endpoint(n, self.host, self._port(n), st) for n, st, _ in _ENDPOINTS]

    # ---------------------------------------------------------------- config
    def _write_config(self, cert: Path, key: Path, layout: str) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        if layout == "debian":
            confd = self.config_dir / "conf.d"
            confd.mkdir(exist_ok=True)
            (confd / "10-ssl.conf").write_text("# SSL settings (edited by deploy tests)\n" + _ssl_lines(cert, key))
            body = _GENERAL + "!include conf.d/*.conf\n"
        elif layout == "single":
            body = _GENERAL + "\n" + _ssl_lines(cert, key)
        else:
            raise ValueError(f"layout must be 'single' or 'debian', not {layout!r}")
        self.config_path.write_text(body + "\n" + _BEGIN + "\n" + _END + "\n")

    def _runtime_block(self) -> str:
        w = self.workdir
        p = self._ports
        return f"""{_BEGIN} (paths and ports of this run; rewritten at every start)
instance_name = mctest-{w.name}
base_dir = {w}/run
state_dir = {w}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
listen = {self.listen}
service imap-login {{
  inet_listener imap {{
    port = {p['imap']}
  }}
  inet_listener imaps {{
    port = {p['imaps']}
    ssl = yes
  }}
  # reuse login processes: the default forks one per connection, ~5x slower handshakes (LAB.md §5)
  service_count = 0
  process_min_avail = 1
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {p['pop3']}
  }}
  inet_listener pop3s {{
    port = {p['pop3s']}
    ssl = yes
  }}
  service_count = 0
  process_min_avail = 1
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={w}/home/%u
}}
{_END}
"""

    def _apply_runtime(self) -> None:
        text = self.config_path.read_text()
        new, n = _RUNTIME_RE.subn(lambda _m: self._runtime_block(), text, count=1)
        if n != 1:
            raise ServerError(f"{self.config_path}: runtime block markers are missing")
        self.config_path.write_text(new)

    def check_config(self) -> str:
        """Parse the config with ``doveconf -n``; return its output, raise ServerError if invalid.

        Run before start and reload: a reload with a broken config only logs an error and keeps
        the old one, which would make a deploy test pass for the wrong reason.
        """
        cp = run([find_binary("doveconf"), "-c", str(self.config_path), "-n"], check=False)
        if cp.returncode != 0:
            raise ServerError(f"invalid Dovecot config {self.config_path}:\n{cp.stderr.strip()}")
        return cp.stdout

    def set_ssl_files(self, cert_pem_path: Path, key_pem_path: Path) -> None:
        """Point the top-level ``ssl_cert``/``ssl_key`` lines at other files (call :meth:`reload` after).

        For tests that need a different cert; deploy tests should edit the file themselves.
        """
        path = self.ssl_config_path
        text = path.read_text()
        for setting, value in (("ssl_cert", cert_pem_path), ("ssl_key", key_pem_path)):
            text, n = re.subn(rf"^{setting}\s*=.*$", f"{setting} = <{Path(value).resolve()}", text, count=1, flags=re.M)
            if n != 1:
                raise ServerError(f"{path}: no top-level {setting} line")
        path.write_text(text)

    # ---------------------------------------------------------------- lifecycle
    def start(self, timeout: float = 20.0) -> float:
        """Start Dovecot and wait until all four ports send their greeting; return seconds taken.

        Retries with new ports (up to 3 times) if a port was taken between probing and binding.
        """
        if self.running:
            raise ServerError("already running")
        t0 = time.monotonic()
        ensure_traversable(self.workdir)
        for sub in ("run", "state", "log"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        shutil.chown(home, "nobody", "nogroup")  # the static userdb runs mail processes as nobody
        dovecot = find_binary("dovecot")
        keep = [self._ports[n] for n, _, _ in _ENDPOINTS if n in self._ports]
        for attempt in range(3):
            ports = pick_free_ports(4, self.hosts, keep=keep)
            self._ports = {n: p for (n, _, _), p in zip(_ENDPOINTS, ports)}
            self._apply_runtime()
            self.check_config()
            log_size = self.log_path.stat().st_size if self.log_path.exists() else 0
            self._proc = spawn([dovecot, "-F", "-c", str(self.config_path)], cwd=self.workdir,
                               log_stem=self.workdir / "log" / "master")
            proc = self._proc
            try:
                for ep, (_, _, prefix) in zip(self.endpoints(), _ENDPOINTS):
                    wait_for_greeting(ep.host, ep.port, prefix, tls=ep.starttls is None,
                                      timeout=max(1.0, timeout - (time.monotonic() - t0)),
                                      alive=lambda: proc.poll() is None)
                break
            except ServerNotReady as e:
                terminate(proc)
                self._proc = None
                release_ports(ports, self.hosts)
                new_log = _read_from(self.log_path, log_size) + tail(self.workdir / "log" / "master.stderr", 10)
                if "Address already in use" in new_log and attempt < 2:
                    keep = []
                    continue
                raise ServerError(f"Dovecot did not come up: {e}\n--- log ---\n{new_log[-3000:]}") from e
        self.last_start_seconds = time.monotonic() - t0
        return self.last_start_seconds

    def stop(self, timeout: float = 20.0) -> float:
        """SIGTERM the master, wait until it exited, its ports are closed and no process of this
        workdir is left; return seconds taken.  Safe to call when not running."""
        t0 = time.monotonic()
        if self._proc is None:
            return 0.0
        terminate(self._proc, timeout)
        self._proc = None
        try:
            wait_ports_closed(self.host, self._ports.values(), timeout)
        finally:
            left = wait_no_processes(self.workdir, timeout=5.0)
            release_ports(self._ports.values(), self.hosts)
        if left:
            kill_processes(left)
            raise ServerError(f"Dovecot processes left after stop (killed): {left}")
        self.last_stop_seconds = time.monotonic() - t0
        return self.last_stop_seconds

    def reload(self, *, expect_der: bytes | None = None, timeout: float = 15.0) -> float:
        """Validate the config, ``doveadm -c CONF reload``, wait until the master has re-read it and
        the ports greet again; with ``expect_der`` also wait until every endpoint serves that leaf.

        Returns seconds taken.  Why wait at all: the reload is a SIGHUP, and old login processes may
        answer a few more connections with the old certificate.
        """
        if not self.running:
            raise ServerError("not running")
        t0 = time.monotonic()
        self.check_config()
        before = _count(self.log_path, "SIGHUP received")
        run([find_binary("doveadm"), "-c", str(self.config_path), "reload"])
        deadline = t0 + timeout
        while _count(self.log_path, "SIGHUP received") <= before:
            if time.monotonic() > deadline:
                raise ServerError(f"Dovecot did not log the reload\n{tail(self.log_path)}")
            time.sleep(0.02)
        for ep, (_, _, prefix) in zip(self.endpoints(), _ENDPOINTS):
            wait_for_greeting(ep.host, ep.port, prefix, tls=ep.starttls is None,
                              timeout=max(1.0, deadline - time.monotonic()))
        if expect_der is not None:
            wait_for_leaf(self.endpoints(), expect_der, timeout=max(1.0, deadline - time.monotonic()))
        self.last_reload_seconds = time.monotonic() - t0
        return self.last_reload_seconds

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DovecotServer({self.workdir}, ports={self._ports}, running={self.running})"


def _read_from(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _count(path: Path, needle: str) -> int:
    try:
        return path.read_text(errors="replace").count(needle)
    except OSError:
        return 0
