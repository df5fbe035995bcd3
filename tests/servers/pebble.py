"""A private Pebble (ACME test CA) plus pebble-challtestsrv as its fake DNS, all on loopback.

* challtestsrv answers **every** A query with 127.0.0.1 (and no AAAA), so Pebble validates HTTP-01 /
  TLS-ALPN-01 against 127.0.0.1:<http_port>/<tls_port> whatever names are ordered, and never asks the
  system resolver (LAB.md pitfall 12: without ``-dnsserver`` Pebble would).  DNS-01 TXT records are
  set through challtestsrv's management API (:meth:`PebbleServer.add_txt`).
* Pebble's own HTTPS listener needs a certificate the Debian package does not ship (LAB.md §4): we
  make a small CA per instance and sign ``DNS:localhost, IP:127.0.0.1``.  ACME clients trust
  :attr:`PebbleServer.listener_ca_path` to talk to :attr:`PebbleServer.directory_url`.
* Pebble makes a **new root at every start**; :meth:`PebbleServer.root_pem` fetches it from the
  management port (what issued chains verify against).

Environment defaults: ``PEBBLE_VA_NOSLEEP=1`` (no random 0-15 s wait before validation) and
``PEBBLE_WFE_NONCEREJECT=0`` (Pebble rejects 5 % of nonces by default; tests must be deterministic).
"""

from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .certs import make_ca
from .ports import ServerNotReady, pick_free_ports, release_ports, wait_ports_closed, wait_ports_open
from .procs import ServerError, clean_env, find_binary, kill_processes, spawn, tail, terminate, wait_no_processes

HOST = "127.0.0.1"


class PebbleServer:
    """Start/stop Pebble + challtestsrv with every port picked free (unless given).

    ``http_port``: the port Pebble connects to for HTTP-01 validation (an ACME client under test must
    serve its challenge there, or set ``serve_http01=True`` to let challtestsrv serve tokens added with
    :meth:`add_http01`).  ``tls_port``: same for TLS-ALPN-01.  ``always_valid``: set
    ``PEBBLE_VA_ALWAYS_VALID=1`` (no validation at all, ~1 s issuance).  ``env`` adds/overrides any
    Pebble environment variable (e.g. ``{"PEBBLE_AUTHZREUSE": "0"}``).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        http_port: int | None = None,
        tls_port: int | None = None,
        always_valid: bool = False,
        nonce_reject_percent: int = 0,
        serve_http01: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.serve_http01 = serve_http01
        self.env: dict[str, str] = {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": str(nonce_reject_percent)}
        if always_valid:
            self.env["PEBBLE_VA_ALWAYS_VALID"] = "1"
        self.env.update(env or {})
        self._fixed_http_port = http_port
        self._fixed_tls_port = tls_port
        self._ports: dict[str, int] = {}
        self._pebble: subprocess.Popen[bytes] | None = None
        self._challtestsrv: subprocess.Popen[bytes] | None = None
        self._root_pem: str | None = None
        self.last_start_seconds: float | None = None
        self.last_stop_seconds: float | None = None
        certs = self.workdir / "certs"
        self.listener_ca = make_ca(certs, "mailcert Pebble listener CA", name="listener-ca")
        self.listener_cert = self.listener_ca.issue(certs, "pebble-listener", common_name="localhost",
                                                    dns_names=["localhost"], ip_addresses=[HOST])

    # ---------------------------------------------------------------- addresses
    def _port(self, name: str) -> int:
        if name not in self._ports:
            raise ServerError("ports are chosen at start(); the server has not been started")
        return self._ports[name]

    @property
    def ports(self) -> dict[str, int]:
        """All ports of the current/last run: acme, management, challtestsrv, dns, http, tls."""
        return dict(self._ports)

    @property
    def listener_ca_path(self) -> Path:
        """PEM of the CA that signed Pebble's HTTPS listener: the ``verify`` for ACME clients."""
        return self.listener_ca.cert_path

    @property
    def acme_port(self) -> int:
        return self._port("acme")

    @property
    def management_port(self) -> int:
        """Pebble's management HTTPS port (roots, intermediates, cert status)."""
        return self._port("management")

    @property
    def http_port(self) -> int:
        """Where Pebble sends HTTP-01 validation requests (on 127.0.0.1)."""
        return self._port("http")

    @property
    def tls_port(self) -> int:
        """Where Pebble connects for TLS-ALPN-01 validation (on 127.0.0.1)."""
        return self._port("tls")

    @property
    def dns_port(self) -> int:
        """challtestsrv's fake DNS (UDP and TCP) - the ``-dnsserver`` Pebble uses."""
        return self._port("dns")

    @property
    def challtestsrv_port(self) -> int:
        """challtestsrv's management HTTP port (plain HTTP)."""
        return self._port("challtestsrv")

    @property
    def directory_url(self) -> str:
        """ACME directory URL (IP literal on purpose: nothing is resolved)."""
        return f"https://{HOST}:{self.acme_port}/dir"

    @property
    def management_url(self) -> str:
        return f"https://{HOST}:{self.management_port}"

    @property
    def root_pem_path(self) -> Path:
        """Current root written by :meth:`root_pem` (rewritten at every start)."""
        return self.workdir / "root.pem"

    @property
    def running(self) -> bool:
        return self._pebble is not None and self._pebble.poll() is None

    # ---------------------------------------------------------------- HTTP helpers (no proxies, ever)
    def _listener_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.listener_ca_path))

    def https_get(self, port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        """GET ``https://127.0.0.1:port/path`` verifying Pebble's listener cert; returns (status, body).

        http.client directly (not urllib) so that no ``*_proxy`` variable can route the request off
        the machine.
        """
        conn = http.client.HTTPSConnection(HOST, port, timeout=timeout, context=self._listener_context())
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def directory(self) -> dict[str, Any]:
        """The ACME directory JSON."""
        status, body = self.https_get(self.acme_port, "/dir")
        if status != 200:
            raise ServerError(f"GET {self.directory_url} -> {status}: {body[:200]!r}")
        result: dict[str, Any] = json.loads(body)
        return result

    def root_pem(self, refresh: bool = False) -> str:
        """PEM of Pebble's current root (``/roots/0`` on the management port); cached per start and
        written to :attr:`root_pem_path`."""
        if self._root_pem is None or refresh:
            status, body = self.https_get(self.management_port, "/roots/0")
            if status != 200 or b"BEGIN CERTIFICATE" not in body:
                raise ServerError(f"GET /roots/0 -> {status}: {body[:200]!r}")
            self._root_pem = body.decode()
            self.root_pem_path.write_text(self._root_pem)
        return self._root_pem

    def intermediate_pem(self) -> str:
        """PEM of Pebble's current intermediate (``/intermediates/0``)."""
        status, body = self.https_get(self.management_port, "/intermediates/0")
        if status != 200:
            raise ServerError(f"GET /intermediates/0 -> {status}: {body[:200]!r}")
        return body.decode()

    def _ctl(self, endpoint: str, payload: Mapping[str, Any]) -> None:
        conn = http.client.HTTPConnection(HOST, self.challtestsrv_port, timeout=5.0)
        try:
            conn.request("POST", endpoint, body=json.dumps(payload), headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise ServerError(f"challtestsrv {endpoint} {payload} -> {resp.status}: {body[:200]!r}")
        finally:
            conn.close()

    @staticmethod
    def _fqdn(host: str) -> str:
        return host if host.endswith(".") else host + "."

    def add_txt(self, host: str, value: str) -> None:
        """Serve TXT ``value`` for ``host`` (e.g. ``_acme-challenge.remote.contoso.com``) for DNS-01."""
        self._ctl("/set-txt", {"host": self._fqdn(host), "value": value})

    def clear_txt(self, host: str) -> None:
        """Remove the TXT record(s) for ``host``."""
        self._ctl("/clear-txt", {"host": self._fqdn(host)})

    def add_a(self, host: str, addresses: list[str]) -> None:
        """Answer A queries for ``host`` with ``addresses`` instead of the 127.0.0.1 default."""
        self._ctl("/add-a", {"host": self._fqdn(host), "addresses": addresses})

    def clear_a(self, host: str) -> None:
        self._ctl("/clear-a", {"host": self._fqdn(host)})

    def add_http01(self, token: str, content: str) -> None:
        """Let challtestsrv answer an HTTP-01 challenge (needs ``serve_http01=True``)."""
        if not self.serve_http01:
            raise ServerError("construct with serve_http01=True to let challtestsrv serve HTTP-01")
        self._ctl("/add-http01", {"token": token, "content": content})

    def del_http01(self, token: str) -> None:
        self._ctl("/del-http01", {"token": token})

    # ---------------------------------------------------------------- lifecycle
    def _write_config(self) -> Path:
        p = self._ports
        cfg = {"pebble": {
            "listenAddress": f"{HOST}:{p['acme']}",
            "managementListenAddress": f"{HOST}:{p['management']}",
            "certificate": str(self.listener_cert.cert_path),
            "privateKey": str(self.listener_cert.key_path),
            "httpPort": p["http"],
            "tlsPort": p["tls"],
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
            # 90 days, as Let's Encrypt issues: Pebble's default (5 years) is a certificate
            # Apple devices refuse (HT211025), which acme now reports as a refusal
            "certificateValidityPeriod": 90 * 86400,
        }}
        path = self.workdir / "pebble-config.json"
        path.write_text(json.dumps(cfg, indent=2) + "\n")
        return path

    def _pick_ports(self) -> None:
        keep_tcp = [self._ports[n] for n in ("acme", "management", "challtestsrv") if n in self._ports]
        acme, mgmt, ctl = pick_free_ports(3, (HOST,), keep=keep_tcp)
        # the DNS port must be free for UDP and TCP
        for _ in range(50):
            (dns,) = pick_free_ports(1, (HOST,), udp=True, keep=[self._ports["dns"]] if "dns" in self._ports else [])
            if dns not in (acme, mgmt, ctl) and pick_free_ports(1, (HOST,), keep=[dns])[0] == dns:
                break
            self._ports.pop("dns", None)
        else:  # pragma: no cover
            raise ServerError("no free UDP+TCP port for challtestsrv DNS")
        # http/tls: Pebble only *connects* there, so they need not be free unless challtestsrv serves them
        http = self._fixed_http_port or pick_free_ports(1, (HOST,), keep=[self._ports.get("http", 0)])[0]
        tls = self._fixed_tls_port or pick_free_ports(1, (HOST,), keep=[self._ports.get("tls", 0)])[0]
        self._ports = {"acme": acme, "management": mgmt, "challtestsrv": ctl, "dns": dns, "http": http, "tls": tls}

    def start(self, timeout: float = 20.0) -> float:
        """Start challtestsrv, then Pebble; wait until the directory answers over verified HTTPS and
        fetch the new root.  Returns seconds taken (retries with new ports if one was taken)."""
        if self.running:
            raise ServerError("already running")
        t0 = time.monotonic()
        env = clean_env(self.env)
        for attempt in range(3):
            self._pick_ports()
            p = self._ports
            cfg = self._write_config()
            http01 = f"{HOST}:{p['http']}" if self.serve_http01 else ""
            self._challtestsrv = spawn(
                [find_binary("pebble-challtestsrv"), "-dns01", f"{HOST}:{p['dns']}", "-http01", http01,
                 "-https01", "", "-tlsalpn01", "", "-management", f"{HOST}:{p['challtestsrv']}",
                 "-defaultIPv4", HOST, "-defaultIPv6", ""],
                cwd=self.workdir, log_stem=self.workdir / "challtestsrv", env=env)
            cts = self._challtestsrv
            try:
                wait_ports_open(HOST, [p["challtestsrv"]], timeout, alive=lambda: cts.poll() is None)
                self._pebble = spawn([find_binary("pebble"), "-config", str(cfg), "-dnsserver", f"{HOST}:{p['dns']}"],
                                     cwd=self.workdir, log_stem=self.workdir / "pebble", env=env)
                peb = self._pebble
                wait_ports_open(HOST, [p["acme"], p["management"]], timeout, alive=lambda: peb.poll() is None)
                self._wait_directory(t0 + timeout)
                break
            except (ServerNotReady, ServerError) as e:
                logs = tail(self.workdir / "challtestsrv.stderr") + "\n" + tail(self.workdir / "pebble.stderr") \
                    + "\n" + tail(self.workdir / "pebble.stdout") + "\n" + tail(self.workdir / "challtestsrv.stdout")
                self._terminate()
                release_ports(self._ports.values(), (HOST,))
                if "address already in use" in logs.lower() and attempt < 2:
                    self._ports = {}
                    continue
                raise ServerError(f"Pebble did not come up: {e}\n--- logs ---\n{logs[-3000:]}") from e
        self._root_pem = None
        self.root_pem()
        self.last_start_seconds = time.monotonic() - t0
        return self.last_start_seconds

    def _wait_directory(self, deadline: float) -> None:
        last = ""
        while True:
            try:
                if "newAccount" in self.directory():
                    return
            except (OSError, ssl.SSLError, ServerError, ValueError) as e:
                last = f"{type(e).__name__}: {e}"
            if self._pebble is None or self._pebble.poll() is not None:
                raise ServerNotReady(f"pebble exited ({last})")
            if time.monotonic() > deadline:
                raise ServerNotReady(f"directory not reachable ({last})")
            time.sleep(0.02)

    def _terminate(self) -> None:
        for proc in (self._pebble, self._challtestsrv):
            if proc is not None:
                terminate(proc, 10.0)
        self._pebble = self._challtestsrv = None

    def stop(self, timeout: float = 15.0) -> float:
        """SIGTERM Pebble and challtestsrv, wait for exit and closed ports; return seconds taken."""
        t0 = time.monotonic()
        if self._pebble is None and self._challtestsrv is None:
            return 0.0
        self._terminate()
        try:
            tcp = [self._ports[n] for n in ("acme", "management", "challtestsrv")]
            if self.serve_http01:
                tcp.append(self._ports["http"])
            wait_ports_closed(HOST, tcp, timeout)
        finally:
            left = wait_no_processes(self.workdir, timeout=5.0)
            release_ports(self._ports.values(), (HOST,))
        if left:
            kill_processes(left)
            raise ServerError(f"Pebble processes left after stop (killed): {left}")
        self.last_stop_seconds = time.monotonic() - t0
        return self.last_stop_seconds

    def __enter__(self) -> PebbleServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"PebbleServer({self.workdir}, ports={self._ports}, running={self.running})"
