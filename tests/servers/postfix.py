"""A private Postfix instance for tests (``postfix -c DIR``): SMTP with optional STARTTLS, submission
with mandatory STARTTLS, and SMTPS (implicit TLS) on free loopback ports.

Nothing in /etc/postfix is used except the package's own meta files (postfix-files, dynamicmaps.cf).
Mail for ``*@contoso.com`` / ``*@contoso.local`` is accepted and written to ``<workdir>/vmail/catchall/``;
nothing is ever relayed (default/relay transports are ``error``) and smtpd does no reverse DNS, so
nothing leaves loopback.  Recipe and pitfalls: LAB.md §3, §7, §9.

Config (``config_dir``, default ``<workdir>/etc``):

* ``main.cf`` - static settings including ``smtpd_tls_chain_files = KEY, CERT`` (deploy tests may
  change it, e.g. with ``postconf -c DIR -e``), plus one ``# BEGIN/END mailcert-test runtime`` block
  at the end with the paths of this run, rewritten by :meth:`PostfixServer.start`.
* ``master.cf`` - owned by the fixture, regenerated at every start with the current ports.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from .ports import PortedServer, ServerNotReady, pick_free_ports, release_ports, wait_for_greeting, wait_ports_closed
from .procs import ServerError, ensure_traversable, find_binary, kill_processes, pid_alive, run, tail, wait_no_processes
from .tlsclient import Endpoint, wait_for_leaf

_BEGIN = "# BEGIN mailcert-test runtime"
_END = "# END mailcert-test runtime"
_RUNTIME_RE = re.compile(re.escape(_BEGIN) + r".*?" + re.escape(_END) + r"\n?", re.S)

#: (name, extra master.cf options, implicit TLS?)
_SERVICES: tuple[tuple[str, str, bool], ...] = (
    ("smtp", "", False),                                   # 25-style: STARTTLS offered, optional
    ("submission", "-o smtpd_tls_security_level=encrypt", False),  # 587-style: STARTTLS required
    ("smtps", "-o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt", True),  # 465-style
)

_MAIN_CF = """\
# mailcert test Postfix: private instance (postfix -c {config_dir}).
# The "mailcert-test runtime" block at the end is rewritten by PostfixServer.start(); edit anything else.
compatibility_level = 3.6
myhostname = mail.contoso.test
mydestination =
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
# no /etc/aliases, no NIS (LAB.md pitfall 7)
alias_maps =
alias_database =
local_recipient_maps =
# accept test domains into one Maildir
virtual_mailbox_domains = contoso.com contoso.local
virtual_mailbox_maps = static:catchall/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
# nothing leaves loopback: never relay, never look up client names
default_transport = error:mailcert test instance does not relay
relay_transport = error:mailcert test instance does not relay
smtpd_peername_lookup = no
biff = no
smtpd_tls_chain_files = {key}, {cert}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
"""

_MASTER_TAIL = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class PostfixServer(PortedServer):
    """Start/stop/reload a private Postfix serving a given certificate on three free loopback ports.

    ``PostfixServer(workdir, cert, key)`` writes a fresh config; ``PostfixServer(workdir,
    config_dir=existing)`` reuses a config dir written earlier by a PostfixServer (its
    ``smtpd_tls_chain_files`` as edited).  Needs root.  Every service runs with ``chroot = n``
    (a chroot would need copies of /etc files in the spool).
    """

    def __init__(
        self,
        workdir: Path,
        cert: Path | None = None,
        key: Path | None = None,
        *,
        listen: str = "127.0.0.1",
        config_dir: Path | None = None,
        local_certs: Mapping[str, tuple[Path, Path]] | None = None,
    ) -> None:
        """``local_certs`` maps more addresses to their own (cert, key): each gets a submission
        listener (STARTTLS required) on the same port, with that certificate."""
        self.workdir = Path(workdir).resolve()
        self.host = listen
        self.local_certs = {a: (Path(c).resolve(), Path(k).resolve()) for a, (c, k) in (local_certs or {}).items()}
        self.config_dir = Path(config_dir).resolve() if config_dir else self.workdir / "etc"
        self._ports: dict[str, int] = {}
        self._master_pid: int | None = None
        self.last_start_seconds: float | None = None
        self.last_stop_seconds: float | None = None
        self.last_reload_seconds: float | None = None
        if self.main_cf.exists():
            if cert or key:
                raise ValueError("config_dir already has main.cf: pass no cert/key, edit smtpd_tls_chain_files instead")
            if _BEGIN not in self.main_cf.read_text():
                raise ServerError(f"{self.main_cf} was not written by PostfixServer (no runtime block)")
        else:
            if not (cert and key):
                raise ValueError("cert and key are required for a new config")
            self.config_dir.mkdir(parents=True, exist_ok=True)
            self.main_cf.write_text(
                _MAIN_CF.format(config_dir=self.config_dir, key=Path(key).resolve(), cert=Path(cert).resolve())
                + "\n" + _BEGIN + "\n" + _END + "\n")

    # ---------------------------------------------------------------- paths and addresses
    @property
    def main_cf(self) -> Path:
        return self.config_dir / "main.cf"

    @property
    def master_cf(self) -> Path:
        return self.config_dir / "master.cf"

    @property
    def config_path(self) -> Path:
        """``main.cf`` (the file holding ``smtpd_tls_chain_files``)."""
        return self.main_cf

    @property
    def log_path(self) -> Path:
        """Postfix's maillog (via postlogd)."""
        return self.workdir / "log" / "maillog"

    @property
    def queue_dir(self) -> Path:
        return self.workdir / "spool"

    @property
    def mailbox_dir(self) -> Path:
        """Maildir that receives every accepted message (``new/`` holds delivered mail)."""
        return self.workdir / "vmail" / "catchall"

    @property
    def running(self) -> bool:
        return self._master_pid is not None and pid_alive(self._master_pid)

    @property
    def pid(self) -> int | None:
        """PID of the Postfix master daemon (from ``pid/master.pid``)."""
        return self._master_pid

    @property
    def smtp_port(self) -> int:
        """SMTP, STARTTLS offered but optional (25-style)."""
        return self._port("smtp")

    @property
    def submission_port(self) -> int:
        """Submission, STARTTLS required: MAIL before STARTTLS gets 530 (587-style)."""
        return self._port("submission")

    @property
    def smtps_port(self) -> int:
        """SMTP over implicit TLS (465-style, ``smtpd_tls_wrappermode``)."""
        return self._port("smtps")

    def endpoints(self) -> list[Endpoint]:
        """The three TLS endpoints in the order smtp, submission, smtps."""
        return [Endpoint(n, self.host, self._port(n), None if implicit else "smtp") for n, _, implicit in _SERVICES]

    # ---------------------------------------------------------------- config
    def _runtime_block(self) -> str:
        w = self.workdir
        return f"""{_BEGIN} (paths of this run; rewritten at every start)
queue_directory = {self.queue_dir}
data_directory = {w}/data
maillog_file = {self.log_path}
maillog_file_prefixes = {w}
virtual_mailbox_base = {w}/vmail
inet_interfaces = {self.host}
syslog_name = postfix-mctest-{w.name}
{_END}
"""

    def _write_runtime(self) -> None:
        text = self.main_cf.read_text()
        new, n = _RUNTIME_RE.subn(lambda _m: self._runtime_block(), text, count=1)
        if n != 1:
            raise ServerError(f"{self.main_cf}: runtime block markers are missing")
        self.main_cf.write_text(new)
        lines = ["# generated by PostfixServer.start(); every service chroot = n"]
        for name, opts, _ in _SERVICES:
            lines.append(f"{self.host}:{self._ports[name]} inet n - n - - smtpd -o syslog_name=postfix-mctest/{name} {opts}".rstrip())
        submission = dict((n, o) for n, o, _ in _SERVICES)["submission"]
        for address, (cert, key) in self.local_certs.items():
            lines.append(
                f"{address}:{self._ports['submission']} inet n - n - - smtpd -o syslog_name=postfix-mctest/{address}"
                f" {submission} -o smtpd_tls_chain_files={key},{cert}"
            )
        self.master_cf.write_text("\n".join(lines) + "\n" + _MASTER_TAIL)
        _backdate(self.main_cf, self.master_cf)

    def postconf(self, *args: str) -> str:
        """Run ``postconf -c CONFIG_DIR ARGS`` and return its stdout (e.g. ``postconf("-h", "smtpd_tls_chain_files")``)."""
        return run([find_binary("postconf"), "-c", str(self.config_dir), *args]).stdout

    def set_chain_files(self, key: Path, cert: Path) -> None:
        """Set ``smtpd_tls_chain_files = KEY, CERT`` (call :meth:`reload` after)."""
        self.postconf("-e", f"smtpd_tls_chain_files = {Path(key).resolve()}, {Path(cert).resolve()}")
        _backdate(self.main_cf)

    # ---------------------------------------------------------------- lifecycle
    def _prepare_dirs(self) -> None:
        w = self.workdir
        ensure_traversable(self.workdir)
        for d in (self.queue_dir, w / "log"):
            d.mkdir(parents=True, exist_ok=True)
        data = w / "data"
        data.mkdir(exist_ok=True)
        shutil.chown(data, "postfix", "postfix")       # tlsmgr/postlogd state, written as postfix
        vmail = w / "vmail"
        vmail.mkdir(exist_ok=True)
        shutil.chown(vmail, "nobody", "nogroup")       # virtual delivers as uid/gid 65534

    def _read_master_pid(self) -> int | None:
        try:
            return int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self, timeout: float = 30.0) -> float:
        """``postfix -c DIR start`` and wait for the 220 banner on all three ports; return seconds.

        The first start of a fresh config takes ~2 s: postfix-script runs its integrity check and
        creates the queue directories (LAB.md §3).  Retries with new ports (up to 3 times) if a port
        was taken between probing and binding.
        """
        if self.running:
            raise ServerError("already running")
        t0 = time.monotonic()
        self._prepare_dirs()
        postfix = find_binary("postfix")
        keep = [self._ports[n] for n, _, _ in _SERVICES if n in self._ports]
        for attempt in range(3):
            ports = pick_free_ports(3, (self.host, *self.local_certs), keep=keep)
            self._ports = {n: p for (n, _, _), p in zip(_SERVICES, ports)}
            self._write_runtime()
            log_size = self.log_path.stat().st_size if self.log_path.exists() else 0
            cp = run([postfix, "-c", str(self.config_dir), "start"], check=False, timeout=timeout,
                     log=self.workdir / "log" / "postfix-cmd.log")
            self._master_pid = self._read_master_pid()
            try:
                if cp.returncode != 0:
                    raise ServerNotReady(f"postfix start rc={cp.returncode}")
                for ep in self.endpoints():
                    wait_for_greeting(ep.host, ep.port, b"220", tls=ep.starttls is None,
                                      timeout=max(1.0, timeout - (time.monotonic() - t0)),
                                      alive=lambda: self.running)
                break
            except ServerNotReady as e:
                new_log = _read_from(self.log_path, log_size) + tail(self.workdir / "log" / "postfix-cmd.log", 10)
                self._stop_quietly()
                release_ports(ports, (self.host, *self.local_certs))
                if "Address already in use" in new_log and attempt < 2:
                    keep = []
                    continue
                raise ServerError(f"Postfix did not come up: {e}\n--- log ---\n{new_log[-3000:]}") from e
        self.last_start_seconds = time.monotonic() - t0
        return self.last_start_seconds

    def _stop_quietly(self) -> None:
        run([find_binary("postfix"), "-c", str(self.config_dir), "stop"], check=False,
            log=self.workdir / "log" / "postfix-cmd.log")
        for pi in wait_no_processes(self.workdir, timeout=10.0):
            kill_processes([pi])
        self._master_pid = None

    def stop(self, timeout: float = 20.0) -> float:
        """``postfix -c DIR stop`` and wait until the master exited, the ports are closed and no
        process of this workdir is left (``postfix stop`` itself returns before that, LAB.md pitfall 7).
        Returns seconds taken; safe to call when not running."""
        t0 = time.monotonic()
        if self._master_pid is None:
            return 0.0
        pid = self._master_pid
        run([find_binary("postfix"), "-c", str(self.config_dir), "stop"], check=False,
            log=self.workdir / "log" / "postfix-cmd.log")
        deadline = t0 + timeout
        try:
            while pid_alive(pid):
                if time.monotonic() > deadline:
                    raise ServerError(f"Postfix master {pid} still alive {timeout}s after stop")
                time.sleep(0.02)
            wait_ports_closed(self.host, self._ports.values(), max(1.0, deadline - time.monotonic()))
        finally:
            left = wait_no_processes(self.workdir, timeout=5.0)
            self._master_pid = None
            release_ports(self._ports.values(), (self.host, *self.local_certs))
        if left:
            kill_processes(left)
            raise ServerError(f"Postfix processes left after stop (killed): {left}")
        self.last_stop_seconds = time.monotonic() - t0
        return self.last_stop_seconds

    def reload(self, *, expect_der: bytes | None = None, timeout: float = 15.0) -> float:
        """``postfix -c DIR reload``, wait until the master logged the reload and the ports answer
        220 again; with ``expect_der`` also wait until every endpoint serves that leaf (idle smtpd
        processes from before the reload may answer once more with the old certificate).
        Returns seconds taken."""
        if not self.running:
            raise ServerError("not running")
        t0 = time.monotonic()
        before = _count(self.log_path, "reload -- version")
        run([find_binary("postfix"), "-c", str(self.config_dir), "reload"],
            log=self.workdir / "log" / "postfix-cmd.log")
        deadline = t0 + timeout
        while _count(self.log_path, "reload -- version") <= before:
            if time.monotonic() > deadline:
                raise ServerError(f"Postfix did not log the reload\n{tail(self.log_path)}")
            time.sleep(0.02)
        for ep in self.endpoints():
            wait_for_greeting(ep.host, ep.port, b"220", tls=ep.starttls is None,
                              timeout=max(1.0, deadline - time.monotonic()))
        if expect_der is not None:
            wait_for_leaf(self.endpoints(), expect_der, timeout=max(1.0, deadline - time.monotonic()))
        self.last_reload_seconds = time.monotonic() - t0
        return self.last_reload_seconds

    def __enter__(self) -> PostfixServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"PostfixServer({self.workdir}, ports={self._ports}, running={self.running})"


def _backdate(*paths: Path) -> None:
    """Set mtimes 5 s into the past.

    The ``postfix`` command sleeps ~1.5 s before start/reload when main.cf/master.cf were modified in
    the last moments (measured: start 2.3 s vs 0.2 s; LAB.md §3 saw the same "1.7-2.7 s when main.cf is
    newer").  We only backdate files we just wrote ourselves and nobody edits before the daemon reads
    them; files edited by a test (e.g. a deploy test's ``postconf -e``) keep their real mtime.
    """
    t = time.time() - 5
    for p in paths:
        os.utime(p, (t, t))


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
