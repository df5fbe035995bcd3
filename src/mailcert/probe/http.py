"""Plain HTTP fetches for revocation data: an OCSP request POSTed to a responder, a CRL fetched.

The probe driver stays the only code that speaks TLS to mail servers; this module only fetches
what a certificate's AIA and CRL Distribution Points name, which by convention are ``http://``
URLs (RFC 5280 §4.2.1.13, RFC 6960 Appendix A) served by the CA.  urllib does it well enough:
one request, a deadline, a size cap; the environment's proxy settings apply, as for any other
client on the machine.  Foreign exceptions stop here, as in the driver.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import Final

from mailcert.errors import ConnectError, InputError, ProtocolError

__all__ = ["fetch", "MAX_BYTES"]

MAX_BYTES: Final = 32 * 1024 * 1024
"""A CRL of a big CA is a few megabytes; more is not a CRL we should hold in memory."""


def fetch(url: str, *, data: bytes | None = None, content_type: str | None = None, accept: str | None = None,
          timeout: float, limit: int = MAX_BYTES) -> bytes:
    """GET ``url`` (POST ``data`` when given) and return the body; one-line errors."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url}: only http:// and https:// URLs can be fetched")
    headers = {"User-Agent": "mailcert"}
    if content_type:
        headers["Content-Type"] = content_type
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            body: bytes = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise ProtocolError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, str) else (getattr(exc.reason, "strerror", None) or str(exc.reason))
        raise ConnectError(f"{url}: {reason}") from None
    except TimeoutError:
        raise ConnectError(f"{url}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise ConnectError(f"{url}: {exc.strerror or exc}") from None
    if len(body) > limit:
        raise ProtocolError(f"{url}: the answer is larger than {limit} bytes")
    return body
