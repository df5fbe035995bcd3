"""The DANE / MTA-STS lab as a test fixture: a DNSSEC-signed zone on NSD, a validating Unbound,
a Postfix DANE sender and a Postfix receiver, and an HTTPS MTA-STS policy server, all inside a
private network + mount + pid namespace (``lab/start.sh``, adapted from the team's LAB-DANE
recipe).  The namespace has its own loopback, so the fixed ports the protocols need (53 for
glibc/Postfix, 443 for MTA-STS) never collide with other tests or helpers running at the same
time, and the host's /etc/resolv.conf is never touched.

mailcert runs inside the namespace as a subprocess (``Lab.mailcert``), exactly as an
administrator runs it on the MX.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "lab"
ZONE = "mail.test"
MX = f"mx.{ZONE}"
SMTP_PORT = 35025
RES = "127.0.0.1:35054"  # validating Unbound
RES_NV = "127.0.0.2:53"  # the same Unbound without its validator module
REPO = Path(__file__).resolve().parents[2]


class Lab:
    def __init__(self, run: Path) -> None:
        self.run = run
        self.env = {**os.environ, "LAB_RUN": str(run), "LAB_PY": sys.executable}

    # --- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        r = subprocess.run(["bash", str(HERE / "start.sh")], env=self.env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"lab start failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")

    def stop(self) -> None:
        subprocess.run(["bash", str(HERE / "stop.sh")], env=self.env, capture_output=True, timeout=60)

    @property
    def holder(self) -> str:
        return (self.run / "holder.pid").read_text().strip()

    def ns(self, *cmd: str, check: bool = True, timeout: float = 60, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` inside the lab's namespaces (its loopback, its /etc/resolv.conf)."""
        full = ["nsenter", "-t", self.holder, "-n", "-m", "-p", f"--wd={REPO}", "--", *cmd]
        r = subprocess.run(full, capture_output=True, text=True, timeout=timeout, input=input, env=self.env)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} -> {r.returncode}: {r.stderr.strip()[-2000:]}")
        return r

    # --- mailcert -------------------------------------------------------------------------
    def mailcert(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return self.ns(sys.executable, "-m", "mailcert", *args, check=False, timeout=timeout)

    def check(self, *extra: str, resolver: str = RES) -> tuple[dict[str, Any], int]:
        """``mailcert check`` of the receiver as a DANE sender reaches it; (JSON, exit status)."""
        r = self.mailcert(
            "check", f"smtp://{MX}:{SMTP_PORT}", "--resolver", resolver, "--cafile", str(self.run / "pki/ca.crt"),
            "--mail-domain", ZONE, "--format", "json", *extra,
        )
        if not r.stdout.strip():
            raise RuntimeError(f"mailcert check printed nothing ({r.returncode}): {r.stderr}")
        from tests.schemas import validate

        return validate(json.loads(r.stdout), "check"), r.returncode

    # --- PKI and zone ---------------------------------------------------------------------
    def new_receiver_key(self) -> None:
        """A new key + certificate for the receiver (same CA, same name), and reload it: what
        a renewal with a fresh key does."""
        self._lib(f'mk_leaf mx "{MX}"')
        self.postfix("receiver", "reload")

    def _lib(self, script: str) -> str:
        r = subprocess.run(["bash", "-c", f'. "{HERE}/lib.sh"; {script}'], env=self.env, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"{script}: {r.stderr[-2000:]}")
        return r.stdout

    def publish(self, tlsa: Sequence[str], *, ttl: int = 30) -> None:
        """Write the zone with these TLSA rdatas (``"3 1 1 HEX"``) for the receiver's port,
        sign it with ldns-signzone, reload NSD and flush Unbound."""
        d = self.run / "dns"
        serial = int(time.time()) + int(time.monotonic_ns() % 1000)
        lines = [
            f"$ORIGIN {ZONE}.", f"$TTL {ttl}",
            f"@ IN SOA ns1.{ZONE}. hostmaster.{ZONE}. ( {serial} 60 60 3600 {ttl} )",
            f"@ IN NS ns1.{ZONE}.", "ns1 IN A 127.0.0.1", f"@ IN MX 10 mx.{ZONE}.", "mx IN A 127.0.0.1",
            f'_mta-sts IN TXT "v=STSv1; id={serial}"', "mta-sts IN A 127.0.0.1",
        ]
        lines += [f"_{port}._tcp.mx IN TLSA {t}" for port in (25, SMTP_PORT) for t in tlsa]
        (d / f"{ZONE}.zone").write_text("\n".join(lines) + "\n")
        ksk, zsk = (d / "ksk.name").read_text().strip(), (d / "zsk.name").read_text().strip()
        subprocess.run(["ldns-signzone", "-f", f"{ZONE}.zone.signed", f"{ZONE}.zone", ksk, zsk], cwd=d, check=True, timeout=30)
        self.reload_dns()

    def tamper_tlsa(self) -> None:
        """Change the TLSA rdatas in the signed zone without re-signing: bogus answers."""
        f = self.run / "dns" / f"{ZONE}.zone.signed"
        text = f.read_text()
        new, n = re.subn(r"(TLSA\s+3\s+1\s+1\s+)([0-9a-fA-F])", lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"), text)
        assert n >= 1, "no TLSA record to tamper with"
        f.write_text(new)
        self.reload_dns()

    def reload_dns(self) -> None:
        self._lib("reload_dns")

    def cert_dir(self, name: str, key: Path | None = None) -> Path:
        """A certificate directory (fullchain.pem, key.pem) for the MX name, issued by the lab
        CA: a stand-in for what a CA returns at renewal.  ``key``: certify this key (the next
        key mailcert dane keeps) instead of a fresh one."""
        d = self.run / "certs" / name
        d.mkdir(parents=True, exist_ok=True)
        pki = self.run / "pki"
        if key is None:
            subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(d / "key.pem")],
                           check=True, capture_output=True, timeout=30)
        else:
            (d / "key.pem").write_bytes(key.read_bytes())
        (d / "key.pem").chmod(0o600)
        subprocess.run(["openssl", "req", "-new", "-key", str(d / "key.pem"), "-subj", f"/CN={MX}", "-out", str(d / "req.csr")],
                       check=True, capture_output=True, timeout=30)
        subprocess.run(["openssl", "x509", "-req", "-in", str(d / "req.csr"), "-CA", str(pki / "ca.crt"), "-CAkey", str(pki / "ca.key"),
                        "-CAcreateserial", "-days", "30", "-sha256", "-extfile", str(pki / "mx.ext"), "-out", str(d / "cert.pem")],
                       check=True, capture_output=True, timeout=30)
        (d / "fullchain.pem").write_bytes((d / "cert.pem").read_bytes() + (pki / "ca.crt").read_bytes())
        return d

    def deploy(self, cert: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        """``mailcert deploy postfix`` into the lab's receiving Postfix, TLSA-guarded for its port."""
        return self.mailcert(
            "deploy", "postfix", "--cert", str(cert), "--server-config", str(self.run / "receiver" / "conf"),
            "--name", MX, "--cafile", str(self.run / "pki/ca.crt"), "--resolver", RES, "--tlsa-port", str(SMTP_PORT),
            "--state-dir", str(self.run / "state"), *extra, timeout=120,
        )

    def receiver_tlsa(self) -> str:
        """``3 1 1 HEX`` for the receiver's current certificate."""
        return "3 1 1 " + self._lib(f'tlsa_311 "{self.run}/pki/mx.crt"').strip()

    # --- Postfix --------------------------------------------------------------------------
    def postfix(self, which: str, *args: str) -> None:
        self.ns("postfix", "-c", str(self.run / which / "conf"), *args)

    def send(self, tag: str) -> tuple[str, str]:
        """Inject a message at the sender, wait (bounded) for its first delivery attempt;
        (status, the sender's log lines of that attempt)."""
        self.postfix("sender", "reload")  # smtp(8) caches TLSA for its TTL (LAB-DANE section 8)
        log = self.run / "sender" / "maillog"
        start = log.stat().st_size if log.exists() else 0
        msg = f"From: alice@sender.lab.example\nTo: user@{ZONE}\nSubject: {tag}\nMessage-ID: <{tag}@sender.lab.example>\n\nbody\n"
        self.ns("sendmail", "-C", str(self.run / "sender" / "conf"), "-f", "alice@sender.lab.example", f"user@{ZONE}", input=msg)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            new = log.read_text(errors="replace")[start:] if log.exists() else ""
            qid = re.search(rf"cleanup\[\d+\]: ([0-9A-F]+): message-id=<{re.escape(tag)}@", new)
            if qid:
                done = re.search(rf"{qid.group(1)}: to=<user@{ZONE}>.*status=(sent|deferred|bounced)", new)
                if done:
                    return done.group(1), new
            time.sleep(0.2)
        raise AssertionError(f"no delivery attempt for {tag} within 30 s:\n{new[-3000:]}")

    def use_resolver(self, conf: str) -> None:
        """Point the namespace's /etc/resolv.conf (what Postfix uses) at ``resolv.conf`` or
        ``resolv-nonvalidating.conf`` (a bind mount inside the namespace only)."""
        self.ns("mount", "-n", "--bind", str(self.run / conf), "/etc/resolv.conf")

    def self_signed_receiver(self) -> None:
        """The receiver presents a self-signed certificate for its name (not from the lab CA)."""
        pki = self.run / "pki"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                        "-subj", f"/CN={MX}", "-addext", f"subjectAltName=DNS:{MX}", "-keyout", str(pki / "mx.key"),
                        "-out", str(pki / "mx.crt")], check=True, capture_output=True, timeout=30)
        self.postfix("receiver", "reload")

    def mta_sts_sender(self, on: bool) -> None:
        """Let the sender ask postfix-mta-sts-resolver for each domain's policy (or stop)."""
        value = "socketmap:inet:127.0.0.1:35461:postfix" if on else ""
        self.ns("postconf", "-c", str(self.run / "sender" / "conf"), "-e", f"smtp_tls_policy_maps = {value}")

    @property
    def has_mta_sts_sender(self) -> bool:
        return (self.run / "sts" / "mta-sts-daemon.yml").exists()

    def policy(self, text: str) -> None:
        (self.run / "sts" / "mta-sts.txt").write_text(text)


def result(doc: dict[str, Any], client: str) -> dict[str, Any]:
    return next(r for r in doc["results"] if r["client"] == client)


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]
