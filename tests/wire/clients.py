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

__all__ = ["Outcome", "Ports", "RUNNERS", "hosts_file", "CLIENT_BINARIES"]

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


def _jakarta(mode: str) -> Runner:
    def run(name: str, ports: Ports, ca: Path, hosts: Path, work: Path) -> Outcome:
        classes = build_java(work.parent)
        argv = ["java", "-cp", ":".join([*_JARS, str(classes)]), "JakartaProbe", name, str(ports.imaps), str(ca), mode]
        rc, out = _run(argv, hosts, work, timeout=90)
        return _decide(rc, out, rc == 0 and "ACCEPTED" in out, ("Can't verify identity", "SSLHandshakeException", "Certificate"))

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


#: client profile id -> runner.  Profiles share a runner where one program stands for them.
RUNNERS: dict[str, Runner] = {
    "curl": curl,
    "fetchmail": fetchmail,
    "s-nail": s_nail,
    "mbsync": mbsync,
    "msmtp": msmtp,
    "swaks": swaks,
    "jakarta": _jakarta("check"),
    "jakarta-default": _jakarta("default"),
    "python": python_imaplib,
}

#: what each runner needs installed (scripts/deps/clients.sh)
CLIENT_BINARIES: dict[str, tuple[str, ...]] = {
    "curl": ("curl",), "fetchmail": ("fetchmail",), "s-nail": ("s-nail",), "mbsync": ("mbsync",),
    "msmtp": ("msmtp",), "swaks": ("swaks",), "jakarta": ("java", "javac"), "jakarta-default": ("java", "javac"),
    "python": (), "unshare": ("unshare",),
}
