"""Postfix: discover (``postconf``), config test (``postfix check``), reload (``postfix reload``).

Where the certificate is: ``smtpd_tls_chain_files`` (Postfix >= 3.4: the key, then its
certificate chain; one file may hold both), else ``smtpd_tls_cert_file`` and
``smtpd_tls_key_file`` (whose default, ``$smtpd_tls_cert_file``, means one file holds both).
Values come from ``postconf -x`` so ``$name`` references are already expanded.

Which listeners speak TLS: every ``inet`` service of master.cf running ``smtpd`` (or
``postscreen``); ``smtpd_tls_wrappermode = yes`` means implicit TLS (465), otherwise STARTTLS
when the effective ``smtpd_tls_security_level`` is ``may`` or ``encrypt``.  ``-o`` overrides
come from ``postconf -P``; a service overriding the certificate itself is reported and left
alone.

Postfix commands print nothing without a terminal (they log instead), so the engine reads the
lines ``maillog_file`` gained while a command ran to say why it failed.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path

from mailcert.deploy.base import ServerBase, loopback_hosts, read_command
from mailcert.deploy.plan import CertLocation, ConfigFile, Discovery, Listener
from mailcert.errors import InputError, Remark
from mailcert.model import Endpoint, Protocol, TlsMode

__all__ = ["DEFAULT_CONFIG_DIR", "MAIN_PARAMETERS", "PostfixServer", "discovery_from_postconf"]

DEFAULT_CONFIG_DIR = Path("/etc/postfix")

_CERT_PARAMETERS = ("smtpd_tls_chain_files", "smtpd_tls_cert_file", "smtpd_tls_key_file", "smtpd_tls_eccert_file")
MAIN_PARAMETERS = (
    *_CERT_PARAMETERS,
    "smtpd_tls_eckey_file",
    "smtpd_tls_dcert_file",
    "smtpd_tls_security_level",
    "smtpd_use_tls",
    "smtpd_enforce_tls",
    "smtpd_tls_wrappermode",
    "tls_server_sni_maps",
    "inet_interfaces",
    "maillog_file",
    "mail_version",
)
_PORTS = {"smtp": 25, "submission": 587, "smtps": 465, "submissions": 465}


def discovery_from_postconf(
    main: Mapping[str, str],
    fields: str,
    overrides: str,
    config_dir: Path,
    *,
    main_cf: ConfigFile | None = None,
) -> Discovery:
    """Turn ``postconf -x`` values, ``postconf -F`` and ``postconf -P -x`` output into a
    :class:`Discovery`.  Pure."""
    problems: list[str] = []
    notes: list[str] = []
    chain = _split(main.get("smtpd_tls_chain_files", ""))
    cert_file = main.get("smtpd_tls_cert_file", "").strip()
    key_file = main.get("smtpd_tls_key_file", "").strip() or cert_file
    primary: CertLocation | None = None
    template: tuple[tuple[str, str], ...] = (("smtpd_tls_chain_files", "{key}, {cert}"),)
    if chain:
        value = ", ".join(chain)
        if len(chain) == 1:
            primary = CertLocation("", Path(chain[0]), Path(chain[0]), (("smtpd_tls_chain_files", value),))
        elif len(chain) == 2:
            primary = CertLocation("", Path(chain[1]), Path(chain[0]), (("smtpd_tls_chain_files", value),))
        else:
            primary = CertLocation("", None, None, (("smtpd_tls_chain_files", value),))
            problems.append(Remark(
                f"smtpd_tls_chain_files lists {len(chain)} files (several keys, or a chain split over"
                " files); deploy cannot replace them in place: give install_dir DIR", mentions=("install_dir",),
            ))
        if cert_file:
            notes.append("smtpd_tls_cert_file is set but ignored: smtpd_tls_chain_files takes precedence")
    elif cert_file:
        primary = CertLocation("", Path(cert_file), Path(key_file),
                               (("smtpd_tls_cert_file", cert_file), ("smtpd_tls_key_file", key_file)))
        template = (("smtpd_tls_cert_file", "{cert}"), ("smtpd_tls_key_file", "{key}"))
    for second in ("smtpd_tls_eccert_file", "smtpd_tls_dcert_file"):
        if main.get(second, "").strip() and not chain:
            problems.append(
                f"{second} is also set (a second server certificate); deploy replaces one certificate"
                " and could not tell which one clients get: remove it or deploy by hand"
            )
    if main.get("tls_server_sni_maps", "").strip():
        notes.append(f"tls_server_sni_maps = {main['tls_server_sni_maps']}: certificates chosen by SNI are left as they are")

    services = _services(fields)
    params = _overrides(overrides)
    listeners: list[Listener] = []
    others: list[CertLocation] = []
    for service, command in services:
        program = command.split()[0] if command.split() else ""
        if program not in ("smtpd", "postscreen"):
            continue
        own = params.get(service, {})

        def eff(name: str, own: Mapping[str, str] = own) -> str:
            return own.get(name, main.get(name, "")).strip()

        level = eff("smtpd_tls_security_level")
        if not level:
            level = "encrypt" if eff("smtpd_enforce_tls") == "yes" else "may" if eff("smtpd_use_tls") == "yes" else "none"
        if eff("smtpd_tls_wrappermode") == "yes":
            mode = TlsMode.IMPLICIT
        elif level in ("may", "encrypt", "dane", "verify", "secure"):
            mode = TlsMode.STARTTLS
        else:
            notes.append(f"master.cf {service}: no TLS (smtpd_tls_security_level = {level})")
            continue
        host, port = _host_port(service)
        if port is None:
            notes.append(f"master.cf {service}: cannot tell its port; not checked")
            continue
        overridden = {k: v for k, v in own.items() if k in _CERT_PARAMETERS}
        own_cert = None
        if overridden:
            scope = f"master.cf {service}"
            o_chain = _split(overridden.get("smtpd_tls_chain_files", ""))
            o_cert = Path(o_chain[-1]) if o_chain else _opt_path(overridden.get("smtpd_tls_cert_file", ""))
            o_key = Path(o_chain[0]) if o_chain else _opt_path(overridden.get("smtpd_tls_key_file", ""))
            others.append(CertLocation(scope, o_cert, o_key, tuple(sorted(overridden.items()))))
            own_cert = "serves its own certificate (" + ", ".join(f"-o {k}={v}" for k, v in sorted(overridden.items())) + ")"
        for h in ([host] if host else _hosts(main.get("inet_interfaces", "all"))):
            listeners.append(Listener(Endpoint(h, port, Protocol.SMTP, mode), f"master.cf {service}", own_cert))
    if not listeners:
        problems.append("no TLS listener found in master.cf (inet smtpd services with TLS)")

    main_path = config_dir / "main.cf"
    return Discovery(
        server="postfix",
        version=main.get("mail_version", "unknown"),
        config=config_dir,
        syntax="postfix",
        primary=primary,
        others=tuple(others),
        listeners=tuple(listeners),
        install_template=template,
        setting_files=tuple((name, main_path) for name, _ in template),
        config_files=(main_cf,) if main_cf else (),
        problems=tuple(problems),
        notes=tuple(notes),
    )


class PostfixServer(ServerBase):
    """A Postfix instance, named by its configuration directory (``postfix -c DIR``)."""

    name = "postfix"

    def __init__(self, config: str | Path | None = None, *, reload_cmd: str | None = None,
                 config_test_cmd: str | None = None) -> None:
        super().__init__(reload_cmd=reload_cmd, config_test_cmd=config_test_cmd)
        path = Path(config) if config else DEFAULT_CONFIG_DIR
        if path.name == "main.cf" and path.is_file():
            path = path.parent
        if not (path / "main.cf").is_file():
            raise InputError(f"{path}: no main.cf there (give the Postfix configuration directory)")
        self.config_dir = path
        self._log: Path | None = None

    def native_config_test(self) -> list[str]:
        return ["postfix", "-c", str(self.config_dir), "check"]

    def native_reload(self) -> list[str]:
        return ["postfix", "-c", str(self.config_dir), "reload"]

    def log_path(self) -> Path | None:
        return self._log

    def discover(self) -> Discovery:
        main = _parse_values(self._postconf("-x", *MAIN_PARAMETERS))
        log = main.get("maillog_file", "")
        self._log = Path(log) if log.startswith("/") else None
        fields = self._postconf("-F")
        overrides = self._postconf("-P", "-x")
        main_cf = self.config_dir / "main.cf"
        st = os.stat(main_cf)
        text = main_cf.read_text(errors="replace")
        return discovery_from_postconf(main, fields, overrides, self.config_dir,
                                       main_cf=ConfigFile(main_cf, text, st.st_mode & 0o7777, st.st_uid, st.st_gid))

    def _postconf(self, *args: str) -> str:
        return read_command(["postconf", "-c", str(self.config_dir), *args], what="Postfix")


def _parse_values(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            out[name.strip()] = value.strip()
    return out


def _services(fields: str) -> list[tuple[str, str]]:
    """``postconf -F`` -> [(service name, command)] of inet services, in master.cf order."""
    out: dict[str, str] = {}
    for line in fields.splitlines():
        key, sep, value = line.partition(" = ")
        parts = key.split("/")
        if not sep or len(parts) < 3:
            continue
        field = parts[-1]
        kind = parts[-2]
        service = "/".join(parts[:-2])
        if kind == "inet" and field == "command":
            out[service] = value.strip()
    return list(out.items())


def _overrides(text: str) -> dict[str, dict[str, str]]:
    """``postconf -P -x`` -> {service: {parameter: value}} for inet services."""
    out: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(" = ")
        if not sep:
            key, sep, value = line.partition("=")
        parts = key.strip().split("/")
        if not sep or len(parts) < 3 or parts[-2] != "inet":
            continue
        out.setdefault("/".join(parts[:-2]), {})[parts[-1]] = value.strip()
    return out


def _split(value: str) -> list[str]:
    return [v for v in re.split(r"[,\s]+", value.strip()) if v]


def _opt_path(value: str) -> Path | None:
    return Path(value.strip()) if value.strip() else None


def _host_port(service: str) -> tuple[str | None, int | None]:
    """``127.0.0.1:10025`` / ``[::1]:25`` / ``submission`` / ``2525`` -> (host or None, port)."""
    host: str | None = None
    port_text = service
    if service.startswith("["):
        inside, _, rest = service[1:].partition("]")
        host, port_text = inside, rest.lstrip(":")
    elif ":" in service:
        host, port_text = service.rsplit(":", 1)
    if port_text.isdigit():
        return host, int(port_text)
    try:
        return host, socket.getservbyname(port_text, "tcp")
    except OSError:
        return host, _PORTS.get(port_text)


def _hosts(interfaces: str) -> list[str]:
    return loopback_hosts(_split(interfaces), wildcards=("all", "loopback-only", "localhost", "0.0.0.0", "::"))
