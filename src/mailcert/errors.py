"""One exception tree for everything that means "could not find out".

A certificate that a client refuses is *not* an exception: it is a verdict (a value).
Exceptions are for the cases where mailcert could not reach a verdict at all::

    MailcertError                 exit 3 (UNKNOWN) unless a subclass says otherwise
    ├── InputError                bad input from the user: a file, an option, a target
    │   └── CertificateError      bytes that are not a certificate we can read
    ├── ProbeError                the network conversation failed
    │   ├── ConnectError          TCP connect failed or was refused
    │   ├── ProtocolError         the server broke the mail protocol (garbage, endless line)
    │   ├── StartTlsError         STARTTLS not offered or refused
    │   ├── HandshakeError        the TLS handshake failed
    │   └── DeadlineError         the per-target deadline passed
    └── OperationError            a change to the system failed (write, reload, deploy)

Every message is one line a person can act on.

A :class:`Remark` is the same kind of words outside an exception: a problem, a refusal or a
hint that a result carries (deploy's problems, the TLSA guard's advice) and that names a field.
"""

from __future__ import annotations


__all__ = [
    "MailcertError",
    "InputError",
    "CertificateError",
    "ProbeError",
    "ConnectError",
    "ProtocolError",
    "StartTlsError",
    "HandshakeError",
    "DeadlineError",
    "OperationError",
    "Remark",
    "Said",
]


class MailcertError(Exception):
    """Base of all mailcert errors; ``exit_status`` is what the CLI exits with.

    The engine speaks in fields, not flags: ``InputError("timeout must be ...", field="timeout")``
    names the field of the value it refused (its message starts with that name), and only the
    CLI knows the flag to say instead (``--timeout``).  ``field`` is ``None`` when the message
    is not about one field.  ``mentions`` are other fields a hint in the message names, each
    written as the field's name (``"... run again with agree_tos"``): the CLI says their flags
    where the last of each stands.
    """

    exit_status: int = 3

    def __init__(self, message: str = "", *, field: str | None = None, mentions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.mentions = mentions


class InputError(MailcertError):
    """The user gave us something we cannot use (missing file, bad option, bad target)."""


class CertificateError(InputError):
    """Bytes that do not parse as a certificate (truncated DER, garbage PEM, bad PFX password)."""


class ProbeError(MailcertError):
    """The conversation with a server failed before we had its certificate."""


class ConnectError(ProbeError):
    """TCP connection refused, unreachable, or name not resolvable."""


class ProtocolError(ProbeError):
    """The server did not speak the mail protocol we expected (garbage, over-long line, EOF)."""


class StartTlsError(ProbeError):
    """STARTTLS (or STLS) was not advertised, was refused, or was followed by injected data."""


class HandshakeError(ProbeError):
    """The TLS handshake itself failed (alert, reset, not TLS)."""


class DeadlineError(ProbeError):
    """The overall per-target deadline (``--timeout``) passed."""


class OperationError(MailcertError):
    """Changing the system failed: writing a file, a config test, a reload."""

    exit_status = 1


class Remark(str):
    """Words for a person, kept in a result, that name fields (deploy's problems, the TLSA
    guard's advice).  As in an error's message, each field is written by its name and listed in
    ``mentions`` (``Remark("... give install_dir DIR", mentions=("install_dir",))``), so a
    library user reads the field and the CLI says the flag (``commands._common.in_flags``).

    A ``str`` (its text) with the mentions attached: results keep plain text where a person
    reads it, so ``in``, ``startswith`` and JSON work on a remark as on any other line, and it
    pickles with its mentions.  Immutable like the string it is.
    """

    mentions: tuple[str, ...]

    def __new__(cls, text: str, mentions: tuple[str, ...] = ()) -> Remark:
        self = super().__new__(cls, text)
        object.__setattr__(self, "mentions", tuple(mentions))
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Remark is immutable; cannot set {name}")

    def __reduce__(self) -> tuple[type[Remark], tuple[str, tuple[str, ...]]]:
        return (Remark, (str(self), self.mentions))

    @property
    def field(self) -> None:
        """A remark is never about the one value refused, as an error may be."""
        return None
