"""mailcert: which of your users' mail clients will refuse your mail server's TLS certificate.

The package is a library first; ``mailcert.cli`` is a thin face over it.  The public API::

    from mailcert import check_server, inspect_certificate, scan_fleet, PROFILES, Judgement

    diagnosis = check_server("imap://mail.example.com", ["mail.example.com"])
    for verdict in diagnosis.assessment.results:      # one per client profile and name
        print(verdict.client, verdict.accepted, verdict.reason)
    for finding in diagnosis.assessment.findings:     # code, severity, facts; words from the catalogue
        print(finding.severity.value, finding.code, finding.title)

Importing ``mailcert`` stays cheap (no rich, no network code, nothing of the API until it is
first used) so that the command line starts fast: the names below load on first access.

Layers, lowest first (docs/architecture.md; tests/test_layers.py fails on an upward import)::

    errors, model, paths, inputs, fsutil, textsafe, config    shared values and helpers
    names, certs, probe, revocation                          facts; the one socket driver
    findings                                                 Finding(code, severity, facts)
    judgement, assess, doctor, address, senders, rollover    the judge (pure, offline)
    deploy, issue, scan, testing, examples                   engines
    report                                                   renders values only
    commands | mailcert (this package: the public API)       the two faces
    cli, __main__                                            argv in, exit status out

The engine speaks in fields and facts: an error or a result's ``Remark`` names the field
(``install_dir``), and only the CLI says the flag (``--install-dir``).  Imports stand at the top
of their module; the few inside a function say why on their line (start-up time, an optional
heavy library), never to hide a cycle (tests/test_function_imports.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mailcert._version import __version__

if TYPE_CHECKING:
    from mailcert.api import check_server as check_server
    from mailcert.api import check_server_async as check_server_async
    from mailcert.api import inspect_certificate as inspect_certificate
    from mailcert.api import scan_fleet as scan_fleet
    from mailcert.assess import Assessment as Assessment
    from mailcert.certs.chain import TrustStore as TrustStore
    from mailcert.doctor import Diagnosis as Diagnosis
    from mailcert.errors import CertificateError as CertificateError
    from mailcert.errors import InputError as InputError
    from mailcert.errors import MailcertError as MailcertError
    from mailcert.errors import ProbeError as ProbeError
    from mailcert.findings import CATALOGUE as CATALOGUE
    from mailcert.findings import Finding as Finding
    from mailcert.findings import Severity as Severity
    from mailcert.judgement import Judged as Judged
    from mailcert.judgement import Judgement as Judgement
    from mailcert.model import Endpoint as Endpoint
    from mailcert.model import Status as Status
    from mailcert.model import parse_target as parse_target
    from mailcert.names.matcher import NameVerdict as NameVerdict
    from mailcert.names.profiles import PROFILES as PROFILES
    from mailcert.names.profiles import ClientProfile as ClientProfile
    from mailcert.probe.driver import ProbeOptions as ProbeOptions
    from mailcert.scan.runner import ScanResult as ScanResult
    from mailcert.scan.runner import ScanSettings as ScanSettings
    from mailcert.scan.targets import Target as Target

_WHERE = {
    # public name -> the module that defines it (imported on first access: start-up time)
    "inspect_certificate": "mailcert.api",
    "check_server": "mailcert.api",
    "check_server_async": "mailcert.api",
    "scan_fleet": "mailcert.api",
    "PROFILES": "mailcert.names.profiles",
    "ClientProfile": "mailcert.names.profiles",
    "NameVerdict": "mailcert.names.matcher",
    "Judgement": "mailcert.judgement",
    "Judged": "mailcert.judgement",
    "ProbeOptions": "mailcert.probe.driver",
    "ScanSettings": "mailcert.scan.runner",
    "ScanResult": "mailcert.scan.runner",
    "Target": "mailcert.scan.targets",
    "Assessment": "mailcert.assess",
    "Diagnosis": "mailcert.doctor",
    "Finding": "mailcert.findings",
    "Severity": "mailcert.findings",
    "CATALOGUE": "mailcert.findings",
    "TrustStore": "mailcert.certs.chain",
    "Endpoint": "mailcert.model",
    "Status": "mailcert.model",
    "parse_target": "mailcert.model",
    "MailcertError": "mailcert.errors",
    "InputError": "mailcert.errors",
    "CertificateError": "mailcert.errors",
    "ProbeError": "mailcert.errors",
}

__all__ = ["__version__", *_WHERE]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mailcert' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
