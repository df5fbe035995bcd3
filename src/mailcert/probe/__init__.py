"""Network facts: connect to a mail server, upgrade to TLS, fetch the certificate chain.

``starttls`` holds the sans-I/O dialogues (pure state machines); ``driver`` is the only code
in mailcert that touches sockets and ``ssl``.  Importing this package loads neither rich nor
cryptography: probing needs only the standard library.
"""

from mailcert.probe.driver import (
    ProbeOptions,
    ProbeResult,
    SniPair,
    client_context,
    probe,
    probe_both,
    probe_both_sync,
    probe_sync,
)
from mailcert.probe.starttls import (
    NEED_DATA,
    PAUSED,
    Capabilities,
    Greeting,
    ReadyForTls,
    StartTlsDialogue,
    State,
)

__all__ = [
    "ProbeOptions",
    "ProbeResult",
    "SniPair",
    "probe",
    "probe_both",
    "probe_sync",
    "probe_both_sync",
    "client_context",
    "StartTlsDialogue",
    "State",
    "Greeting",
    "Capabilities",
    "ReadyForTls",
    "NEED_DATA",
    "PAUSED",
]
