"""Run real mail clients non-interactively against one wire case; report accept or refuse.

Each runner gets the typed name, the ports of the shared servers, the test CA and a scratch
directory, and returns what the client did (:class:`Outcome`).  The typed name must reach the
case's own loopback address without touching the machine's resolver: every client runs in a
private mount namespace (``unshare --mount``) in which a hosts file written for this case is
bind-mounted over /etc/hosts.  Only that process tree sees it; /etc/hosts itself never
changes, so other test runs on the machine are not disturbed.

A client accepts when it logged in (IMAP) or finished STARTTLS (SMTP, where the servers offer
no authentication); it refuses when it reports a certificate error.  Anything else (a
connection refused, a timeout, a login failure) is neither, and fails the test as such.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Client", "Outcome", "Ports", "RUNNERS", "hosts_file", "node_modules_present"]

_JARS = ("/usr/share/java/jakarta-mail.jar", "/usr/share/java/jakarta-activation.jar")
_SRC = Path(__file__).resolve().parent / "clients_src"


@dataclass(frozen=True)
class Ports:
    """Where the shared servers listen (every case address, same ports)."""

    imaps: int
    submission: int


@dataclass(frozen=True)
class Outcome:
    """What the client did: accepted, refused (with its words), or something else went wrong."""

    accepted: bool | None
    output: str


def hosts_file(path: Path, names: Mapping[str, str]) -> Path:
    """A hosts file mapping each name to its address (also its A-label form and, for a
    trailing-dot name, the name itself: glibc does not strip the dot)."""
    lines = ["127.0.0.1 localhost"]
    for name, address in names.items():
        if name[:1].isdigit():
            continue  # an address needs no entry
        forms = {name, name.rstrip(".")}
        try:
            forms.add(name.rstrip(".").encode("idna").decode("ascii"))
        except UnicodeError:
            pass
        lines += [f"{address} {form}" for form in sorted(forms)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(argv: list[str], hosts: Path, cwd: Path, *, stdin: str = "", timeout: float = 60) -> tuple[int, str]:
    """Run ``argv`` seeing ``hosts`` as /etc/hosts (and nothing else changed).

    HOME is the run's own directory (rc files, caches)."""
    wrapped = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts), *argv]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8", "TERM": "dumb"}
    cp = subprocess.run(wrapped, input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout,
                        errors="replace")
    return cp.returncode, (cp.stdout + cp.stderr).strip()


Runner = Callable[[str, Ports, Path, Path, Path], Outcome]


def _decide(rc: int, out: str, ok: bool, refused_words: tuple[str, ...]) -> Outcome:
    """Accepted when ``ok``; refused when the output holds a certificate complaint; else unknown."""
    if ok:
        return Outcome(True, out)
    if any(w in out for w in refused_words):
        return Outcome(False, out)
    return Outcome(None, out)


def curl(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
    host = f"[{name}]" if ":" in name else name
    rc, out = _run(["curl", "-sS", "--max-time", "20", "--cacert", str(ca), "-u", "u:test", f"imaps://{host}:{ports.imaps}/"], hosts, work)
    return _decide(rc, out, rc == 0 and "INBOX" in out, ("SSL: ", "(60)"))


_FETCHMAIL_LOCK = threading.Lock()  # as root, fetchmail keeps one lock file for every run


def fetchmail(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
    rc_file = work / "fetchmailrc"
    rc_file.write_text(
        f'poll "{name}" protocol IMAP port {ports.imaps} user "u" password "test" ssl sslcertck sslcertfile "{ca}"\n',
        encoding="utf-8")
    rc_file.chmod(0o600)
    with _FETCHMAIL_LOCK:
        rc, out = _run(["fetchmail", "-c", "-f", str(rc_file), "--nosyslog"], hosts, work)
    # 1 = "no mail": logged in
    return _decide(rc, out, rc in (0, 1) and "No mail for u" in out,
                   ("certificate", "Certificate", "CommonName", "SSL connection failed"))


def s_nail(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
    argv = ["s-nail", "-n", "-N", "-#", "-S", "v15-compat", "-S", f"tls-ca-file={ca}", "-S", "tls-ca-no-defaults",
            "-S", "password=test", "-f", f"imaps://u@{name}:{ports.imaps}"]
    rc, out = _run(argv, hosts, work, stdin="echo OPEN; folder\n")
    return _decide(rc, out, rc == 0 and "OPEN" in out and "INBOX" in out, ("TLS certificate does not match", "certificate"))


def mbsync(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
    (work / "mb").mkdir(exist_ok=True)
    rc_file = work / "mbsyncrc"
    rc_file.write_text(
        f"IMAPAccount a\nHost {name}\nPort {ports.imaps}\nUser u\nPass test\nSSLType IMAPS\nCertificateFile {ca}\n\n"
        f"IMAPStore s\nAccount a\n\nMaildirStore l\nPath {work}/mb/\nInbox {work}/mb/INBOX\n\n"
        "Channel c\nFar :s:\nNear :l:\n", encoding="utf-8")
    rc, out = _run(["mbsync", "-c", str(rc_file), "-l", "c"], hosts, work)
    return _decide(rc, out, rc == 0 and "INBOX" in out, ("certificate", "SSL error"))


def msmtp(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
    argv = ["msmtp", "--serverinfo", f"--host={name}", f"--port={ports.submission}", "--tls=on",
            "--tls-starttls=on", f"--tls-trust-file={ca}"]
    rc, out = _run(argv, hosts, work)
    return _decide(rc, out, rc == 0 and "STARTTLS" in out, ("TLS certificate verification failed", "certificate"))


def swaks(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
    argv = ["swaks", "--server", name, "--port", str(ports.submission), "--tls", "--tls-verify",
            "--tls-ca-path", str(ca), "--quit-after", "TLS"]
    rc, out = _run(argv, hosts, work)
    return _decide(rc, out, rc == 0 and "TLS started" in out, ("TLS startup failed",))


_JAKARTA_RUNS: dict[tuple[str, str], tuple[threading.Event, list[str]]] = {}
_JAKARTA_LOCK = threading.Lock()


def _jakarta(mode: str) -> Runner:
    """Jakarta Mail with checkserveridentity on ("check") or as configured by default: one JVM
    logs in both ways per case, and each runner reads its own lines."""

    def run(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
        key = (name, hosts.read_text(encoding="utf-8"))
        with _JAKARTA_LOCK:
            first = key not in _JAKARTA_RUNS
            if first:
                _JAKARTA_RUNS[key] = (threading.Event(), [])
            done, lines = _JAKARTA_RUNS[key]
        if first:
            try:
                classes = build_java(work.parent)
                argv = ["java", "-cp", ":".join([*_JARS, str(classes)]), "JakartaProbe", name, str(ports.imaps),
                        str(ca), "check,default"]
                lines += _run(argv, hosts, work, timeout=90)[1].splitlines()
            finally:
                done.set()
        done.wait(120)
        out = "\n".join(line.partition(": ")[2] for line in lines if line.startswith(f"{mode}: "))
        return _decide(0, out, out == "ACCEPTED", ("Can't verify identity", "SSLHandshakeException", "Certificate"))

    return run


_JAVA_LOCK = threading.Lock()


def build_java(root: Path) -> Path:
    """Compile JakartaProbe once per run (into ``root/java``)."""
    out = root / "java"
    with _JAVA_LOCK:
        if (out / "JakartaProbe.class").exists():
            return out
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(["javac", "-d", str(out), "-cp", ":".join(_JARS), str(_SRC / "JakartaProbe.java")],
                       check=True, capture_output=True, timeout=120)
        return out


def python_imaplib(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
    script = (
        "import imaplib, ssl, sys\n"
        "ctx = ssl.create_default_context(cafile=sys.argv[3])\n"
        "try:\n"
        "    imaplib.IMAP4_SSL(sys.argv[1], int(sys.argv[2]), ssl_context=ctx, timeout=20).login('u', 'test')\n"
        "except ssl.SSLError as e:\n"
        "    print('REFUSED', e); sys.exit(1)\n"
        "print('ACCEPTED')\n"
    )
    import sys as _sys

    rc, out = _run([_sys.executable, "-c", script, name, str(ports.imaps), str(ca)], hosts, work)
    return _decide(rc, out, rc == 0 and "ACCEPTED" in out, ("REFUSED",))




def _mutt(program: str) -> Runner:
    """mutt and neomutt are curses programs: run in a pseudo-terminal, answer "r" (reject) at
    the certificate prompt; the mailbox index opening is an accept."""

    def run(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
        url = f"imaps://u@{name}:{ports.imaps}/INBOX"
        rc_file = work / "muttrc"
        rc_file.write_text(
            f'set spoolfile="{url}"\nset folder="imaps://u@{name}:{ports.imaps}/"\nset imap_pass="test"\n'
            f'set ssl_ca_certificates_file="{ca}"\nset ssl_verify_host=yes\nset ssl_force_tls=yes\n'
            f'set certificate_file="{work}/certificates"\nset quit=yes\nset mail_check_stats=no\n'
            f'set imap_passive=yes\nset header_cache=""\nset message_cachedir=""\n', encoding="utf-8")
        screen = _pty_session([program, "-n", "-F", str(rc_file), "-f", url], hosts, work)
        # a certificate prompt, or a handshake GnuTLS broke off over the certificate
        refused = "(r)eject" in screen or "gnutls_handshake:" in screen
        opened = not refused and ("Msgs:" in screen or "Mailbox is empty" in screen or "No mailbox" in screen
                                  or "INBOX" in screen and "q:Quit" in screen)
        return Outcome(True if opened else False if refused else None, screen)

    return run


def _pty_session(argv: list[str], hosts: Path, cwd: Path, timeout: float = 40) -> str:
    """Run a curses client in a pseudo-terminal (80x24, vt100): "r" at a certificate prompt,
    "q" once the index shows; return everything it drew, escape sequences removed."""
    import pty
    import re
    import select
    import signal
    import time

    wrapped = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts), *argv]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8", "TERM": "vt100",
           "LINES": "24", "COLUMNS": "80"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: never returns
        os.chdir(cwd)
        os.execvpe(wrapped[0], wrapped, env)
    raw = b""
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                raw += chunk
            text = _plain(raw)
            if "(r)eject" in text and not answered:
                os.write(fd, b"r")
                answered = True
            elif ("Msgs:" in text or "q:Quit" in text) and "(r)eject" not in text and not answered:
                os.write(fd, b"q")
                answered = True
            if answered and time.monotonic() > deadline - timeout + 1 and not ready:
                # give the client a moment to leave, then stop waiting
                try:
                    finished, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if finished:
                    break
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)
    return _plain(raw)


def _plain(raw: bytes) -> str:
    import re

    return re.sub(r"\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Z0-9]|[=>78DEHM])", " ", raw.decode("utf-8", "replace"))


_NODE_MODULES = Path(__file__).resolve().parent / ".node" / "node_modules"


def node_modules_present() -> bool:
    """imapflow and nodemailer installed by scripts/deps/clients.sh."""
    return (_NODE_MODULES / "imapflow").is_dir() and (_NODE_MODULES / "nodemailer").is_dir()


def _node(kind: str) -> Runner:
    """imapflow (IMAPS) or nodemailer (submission, STARTTLS), from tests/wire/.node."""

    def run(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
        port = ports.imaps if kind == "imapflow" else ports.submission
        argv = ["env", f"NODE_PATH={_NODE_MODULES}", "node", str(_SRC / "node_probe.js"), kind, name, str(port), str(ca)]
        rc, out = _run(argv, hosts, work)
        return _decide(rc, out, rc == 0 and "ACCEPTED" in out, ("ERR_TLS", "Hostname/IP does not match", "certificate"))

    return run


def go_smtp(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
    """Go's net/smtp + crypto/tls: STARTTLS on the submission port."""
    binary = build_go(work.parent)
    rc, out = _run([str(binary), name, str(ports.submission), str(ca)], hosts, work)
    return _decide(rc, out, rc == 0 and "ACCEPTED" in out, ("x509:", "tls:"))


_GO_LOCK = threading.Lock()


def build_go(root: Path) -> Path:
    """Build go_smtp once per run, offline, standard library only."""
    out = root / "go" / "go_smtp"
    with _GO_LOCK:
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "GOCACHE": str(root / "go" / "cache"), "GOPATH": str(root / "go" / "path"),
                   "GOPROXY": "off", "GOFLAGS": "-mod=mod", "GO111MODULE": "off"}
            subprocess.run(["go", "build", "-o", str(out), str(_SRC / "go_smtp.go")], check=True, capture_output=True,
                           env=env, timeout=300)
    return out


@dataclass(frozen=True)
class Client:
    """One real client: the profile it is judged by, how to run it, what it needs."""

    profile: str
    run: Runner
    needs: tuple[str, ...]
    #: the client's words come without the library's error code in front (nodemailer
    #: reports Node's TLS error under its own code, ESOCKET)
    words_without_code: bool = False


#: runner name -> client.  A library profile is run through the programs that use it.
RUNNERS: dict[str, Client] = {
    "curl": Client("curl", curl, ("curl",)),
    "fetchmail": Client("fetchmail", fetchmail, ("fetchmail",)),
    "s-nail": Client("s-nail", s_nail, ("s-nail",)),
    "mbsync": Client("mbsync", mbsync, ("mbsync",)),
    "mutt": Client("mutt", _mutt("mutt"), ("mutt",)),
    "neomutt": Client("neomutt", _mutt("neomutt"), ("neomutt",)),
    "msmtp": Client("msmtp", msmtp, ("msmtp",)),
    "swaks": Client("swaks", swaks, ("swaks",)),
    "jakarta": Client("jakarta", _jakarta("check"), ("java", "javac")),
    "jakarta-default": Client("jakarta-default", _jakarta("default"), ("java", "javac")),
    "python-imaplib": Client("python", python_imaplib, ()),
    "node-imapflow": Client("node", _node("imapflow"), ("node",)),
    "node-nodemailer": Client("node", _node("nodemailer"), ("node",), words_without_code=True),
    "go-net-smtp": Client("go", go_smtp, ("go",)),
}
