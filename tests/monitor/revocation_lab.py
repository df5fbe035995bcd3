"""A small CA with real revocation services on loopback, for the --ocsp / --crl / stapling tests.

* an OCSP responder: ``openssl ocsp -index index.txt`` (OpenSSL's own responder, the CA
  database format ``openssl ca`` keeps), answering good / revoked / unknown;
* a CRL (built with cryptography, signed by the CA) served by a local HTTP server;
* ``openssl s_server -status_file`` stapling a response the real responder gave (Dovecot and
  Postfix cannot staple: Dovecot has no OCSP setting, Postfix staples nothing as a server).

Every leaf names the responder in its AIA and the CRL in its CRL Distribution Points, on ports
picked before the certificates are made.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from tests.servers.ports import pick_free_ports, release_ports, wait_ports_open
from tests.servers.procs import find_binary, run, spawn, terminate

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Leaf:
    name: str
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_path: Path
    key_path: Path


@dataclass
class RevocationLab:
    root: Path
    ocsp_port: int = 0
    crl_port: int = 0
    leaves: dict[str, Leaf] = field(default_factory=dict)
    _procs: list = field(default_factory=list)  # type: ignore[type-arg]
    _httpd: http.server.ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        self.ocsp_port, self.crl_port = pick_free_ports(2)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = (
            x509.CertificateBuilder().subject_name(_name("Revocation Lab CA")).issuer_name(_name("Revocation Lab CA"))
            .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=30)).not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key()), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_path = self._write("ca.crt", self.ca.public_bytes(serialization.Encoding.PEM))
        self.ca_key_path = self._write("ca.key", self._key_pem(self.ca_key))

    # -- material

    @property
    def ocsp_url(self) -> str:
        return f"http://127.0.0.1:{self.ocsp_port}/"

    @property
    def crl_url(self) -> str:
        return f"http://127.0.0.1:{self.crl_port}/lab.crl"

    def _write(self, name: str, data: bytes) -> Path:
        p = self.root / name
        p.write_bytes(data)
        return p

    @staticmethod
    def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    def issue(self, name: str, *, aia: bool = True, cdp: bool = True, must_staple: bool = False) -> Leaf:
        key = ec.generate_private_key(ec.SECP256R1())
        b = (
            x509.CertificateBuilder().subject_name(_name("mail.example.com")).issuer_name(self.ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("mail.example.com")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), critical=False)
        )
        if aia:
            b = b.add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(self.ocsp_url)),
            ]), critical=False)
        if cdp:
            b = b.add_extension(x509.CRLDistributionPoints([
                x509.DistributionPoint([x509.UniformResourceIdentifier(self.crl_url)], None, None, None),
            ]), critical=False)
        if must_staple:
            b = b.add_extension(x509.TLSFeature([x509.TLSFeatureType.status_request]), critical=False)
        cert = b.sign(self.ca_key, hashes.SHA256())
        leaf = Leaf(name, cert, key, self._write(f"{name}.crt", cert.public_bytes(serialization.Encoding.PEM)),
                    self._write(f"{name}.key", self._key_pem(key)))
        self.leaves[name] = leaf
        return leaf

    # -- services

    def start(self, *, revoked: tuple[str, ...], unknown: tuple[str, ...] = ()) -> None:
        """index.txt (every leaf but the ``unknown`` ones; ``revoked`` ones marked R) for the
        responder, the CRL listing ``revoked``; both servers started."""
        fmt = "%y%m%d%H%M%SZ"
        lines = []
        crl = (x509.CertificateRevocationListBuilder().issuer_name(self.ca.subject)
               .last_update(NOW - dt.timedelta(hours=1)).next_update(NOW + dt.timedelta(days=7)))
        for leaf in self.leaves.values():
            if leaf.name in unknown:
                continue
            serial = format(leaf.cert.serial_number, "X")
            serial = serial if len(serial) % 2 == 0 else "0" + serial
            expiry = leaf.cert.not_valid_after_utc.strftime(fmt)
            subject = "/CN=mail.example.com"
            if leaf.name in revoked:
                when = NOW - dt.timedelta(days=2)
                lines.append(f"R\t{expiry}\t{when.strftime(fmt)},keyCompromise\t{serial}\tunknown\t{subject}\n")
                crl = crl.add_revoked_certificate(
                    x509.RevokedCertificateBuilder().serial_number(leaf.cert.serial_number).revocation_date(when)
                    .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False).build()
                )
            else:
                lines.append(f"V\t{expiry}\t\t{serial}\tunknown\t{subject}\n")
        index = self._write("index.txt", "".join(lines).encode())
        self._write("index.txt.attr", b"unique_subject = no\n")  # every leaf is CN=mail.example.com
        www = self.root / "www"
        www.mkdir(exist_ok=True)
        (www / "lab.crl").write_bytes(crl.sign(self.ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))

        openssl = find_binary("openssl")
        self._procs.append(spawn(
            [openssl, "ocsp", "-index", str(index), "-port", str(self.ocsp_port), "-rsigner", str(self.ca_path),
             "-rkey", str(self.ca_key_path), "-CA", str(self.ca_path), "-nmin", "60", "-ignore_err"],
            cwd=self.root, log_stem=self.root / "ocsp",
        ))
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
        handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.crl_port), handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        # not a TCP probe for the responder: it serves one connection at a time and would wait
        # for a request on the probe's; its own "waiting" line says it listens
        self._wait_for(self.root / "ocsp.stderr", "waiting for OCSP client connections")
        wait_ports_open("127.0.0.1", [self.crl_port])

    def _wait_for(self, log: Path, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in (log.read_text(errors="replace") if log.exists() else ""):
            if self._procs[-1].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{log}: no {text!r}: {log.read_text(errors='replace')[-500:] if log.exists() else ''}")
            time.sleep(0.02)

    def responder_answer(self, leaf: Leaf) -> Path:
        """What the real responder says about ``leaf``, as DER (for s_server -status_file)."""
        out = self.root / f"{leaf.name}.ocsp.der"
        run([find_binary("openssl"), "ocsp", "-issuer", str(self.ca_path), "-cert", str(leaf.cert_path), "-url", self.ocsp_url,
             "-respout", str(out), "-noverify"], timeout=30)
        return out

    def tls_server(self, leaf: Leaf, *, staple: Path | None) -> int:
        """``openssl s_server`` serving ``leaf`` (and stapling ``staple`` when given); its port."""
        (port,) = pick_free_ports(1)
        argv = [find_binary("openssl"), "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(leaf.cert_path),
                "-key", str(leaf.key_path), "-www", "-quiet"]
        if staple is not None:
            argv += ["-status_file", str(staple)]
        self._procs.append(spawn(argv, cwd=self.root, log_stem=self.root / f"s_server-{port}"))
        wait_ports_open("127.0.0.1", [port])
        return port

    def stop(self) -> None:
        for proc in self._procs:
            terminate(proc)
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        release_ports([self.ocsp_port, self.crl_port])
