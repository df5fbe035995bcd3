"""The real OpenSSL ``X509_verify_cert``, driven in-process through the system's libcrypto.

Why not a Python validator for the OpenSSL family: mutt, fetchmail, Postfix, CPython's ``ssl``
and Node.js validate with this very function, and its behaviour differs from a strict Web PKI
validator in ways that decide real connections (the subject CN is checked against name
constraints when the leaf has no DNS SAN; no AKI/SKI or serial-number pedantry; its own path
builder).  Modelling those differences on top of another validator reached 97% agreement on
x509-limbo; calling the function itself, set up as limbo's OpenSSL harness sets it up,
reproduces that harness's results on every case, and set up as libssl sets it up for a TLS
client it is the ``openssl`` and ``python`` profiles' chain verdict (``tests/certs/test_limbo.py``).  pyOpenSSL wraps the store but not the verify parameters a TLS
client sets (purpose ``ssl_server``, security level, time), and costs 50 ms to import.

The binding is as a TLS client uses it: ``X509_STORE_CTX_set_default(ctx, "ssl_server")``
(what libssl does before verifying a server), the caller's security level (Debian's default is
2: RSA and DH under 2048 bits and SHA-1 signatures refused), the caller's time.  The host name
is *not* passed: names are the profile's business (``mailcert.names``), so a client that calls
``X509_check_host`` with other flags is still modelled exactly.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

__all__ = ["OpenSSLUnavailable", "OpenSSLVerdict", "OpenSSLStore", "openssl_verify", "openssl_version"]

A = TypeVar("A", bound=Hashable)  # an anchor as the caller keeps it (OpenSSLStore's to_der makes it DER)

_LIB_NAMES = ("libcrypto.so.3", "libcrypto.dylib", "libcrypto.so")

X509_V_FLAG_PARTIAL_CHAIN = 0x80000
X509_CHECK_FLAG_NEVER_CHECK_SUBJECT = 0x20
X509_V_ERR_INVALID_PURPOSE = 26
X509_V_ERR_CERT_HAS_EXPIRED = 10

# int (*verify_cb)(int ok, X509_STORE_CTX *ctx)
_VERIFY_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT = 18
X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN = 19
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT = 2


class OpenSSLUnavailable(RuntimeError):
    """No libcrypto 3 on this machine: the OpenSSL-family verdicts cannot be computed."""


class OpenSSLVerdict(NamedTuple):
    """What ``X509_verify_cert`` said: ok, its error number and text, the depth it failed at,
    and the path it built (indexes into the sent chain; ``-1`` for a trust-store certificate)."""

    ok: bool
    error: int
    text: str
    depth: int
    path: tuple[int, ...]


class _Lib:
    """The few libcrypto functions a verification needs, with their C signatures."""

    def __init__(self) -> None:
        lib = None
        for name in _LIB_NAMES:
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if lib is None or not hasattr(lib, "OPENSSL_sk_new_null"):
            raise OpenSSLUnavailable("libcrypto 3 (OpenSSL) is not installed")
        p, i, c = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        sigs: dict[str, tuple[object, list[object]]] = {
            "d2i_X509": (p, [p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]),
            "X509_free": (None, [p]),
            "X509_up_ref": (i, [p]),
            "X509_STORE_new": (p, []),
            "X509_STORE_free": (None, [p]),
            "X509_STORE_up_ref": (i, [p]),
            "X509_STORE_add_cert": (i, [p, p]),
            "OPENSSL_sk_new_null": (p, []),
            "OPENSSL_sk_push": (i, [p, p]),
            "OPENSSL_sk_free": (None, [p]),
            "OPENSSL_sk_num": (i, [p]),
            "OPENSSL_sk_value": (p, [p, i]),
            "X509_STORE_CTX_new": (p, []),
            "X509_STORE_CTX_free": (None, [p]),
            "X509_STORE_CTX_init": (i, [p, p, p, p]),
            "X509_STORE_CTX_set_default": (i, [p, c]),
            "X509_STORE_CTX_set_verify_cb": (None, [p, _VERIFY_CB]),
            "X509_STORE_CTX_get0_param": (p, [p]),
            "X509_STORE_CTX_get_error": (i, [p]),
            "X509_STORE_CTX_get_error_depth": (i, [p]),
            "X509_STORE_CTX_get0_chain": (p, [p]),
            "X509_STORE_CTX_get_current_cert": (p, [p]),
            "X509_get0_notAfter": (p, [p]),
            "X509_cmp_time": (i, [p, ctypes.POINTER(ctypes.c_int64)]),
            "X509_VERIFY_PARAM_get_time": (ctypes.c_int64, [p]),
            "X509_VERIFY_PARAM_set_time": (None, [p, ctypes.c_int64]),
            "X509_VERIFY_PARAM_set_auth_level": (None, [p, i]),
            "X509_VERIFY_PARAM_set_depth": (None, [p, i]),
            "X509_VERIFY_PARAM_set_flags": (i, [p, ctypes.c_ulong]),
            "X509_VERIFY_PARAM_set_hostflags": (None, [p, ctypes.c_uint]),
            "X509_verify_cert": (i, [p]),
            "X509_verify_cert_error_string": (c, [ctypes.c_long]),
            "OpenSSL_version": (c, [i]),
            "ERR_clear_error": (None, []),
        }
        for fname, (res, args) in sigs.items():
            fn = getattr(lib, fname)
            fn.restype = res
            fn.argtypes = args
            setattr(self, fname, fn)
        self.lib = lib

    def parse(self, der: bytes) -> int:
        """An ``X509*`` for ``der`` (0 when OpenSSL cannot read it)."""
        buf = ctypes.c_char_p(der)
        return self.d2i_X509(None, ctypes.byref(buf), len(der)) or 0  # type: ignore[attr-defined]


_lib: _Lib | None = None
_lib_lock = threading.Lock()


def _get() -> _Lib:
    global _lib
    with _lib_lock:
        if _lib is None:
            _lib = _Lib()
        return _lib


def openssl_version() -> str:
    """The libcrypto in use, e.g. ``OpenSSL 3.0.19 27 Jan 2026``."""
    return (_get().OpenSSL_version(0) or b"").decode()  # type: ignore[attr-defined]


class _Parsed:
    """``X509*`` handles by DER, parsed once per process and freed at exit.

    OpenSSL 3.0 takes about half a millisecond to parse a certificate (its key decoders go
    through the provider machinery), more than a whole verification: trust anchors and the
    intermediates a fleet serves again and again are parsed once.  Bounded: past ``limit``
    handles the oldest half is freed.
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.handles: dict[bytes, int] = {}
        self.lock = threading.Lock()

    def get(self, lib: _Lib, der: bytes) -> int:
        """A handle the caller owns (up-referenced): free it with ``X509_free`` after use."""
        with self.lock:
            x = self.handles.get(der)
            if x is None:
                x = lib.parse(der)
                if len(self.handles) >= self.limit:
                    for old in list(self.handles)[: self.limit // 2]:
                        lib.X509_free(self.handles.pop(old))  # type: ignore[attr-defined]
                self.handles[der] = x
            if x:
                lib.X509_up_ref(x)  # type: ignore[attr-defined]
            return x


_parsed = _Parsed()


class OpenSSLStore(Generic[A]):
    """Trust anchors grouped by a key of their subject name (the caller's, e.g.
    ``chain.name_key``: it must match however the chain's issuer names are encoded).

    OpenSSL looks issuers up by subject name only, so a store holding just the anchors whose
    subject is an issuer (or subject) named in the chain gives exactly the verdict of the whole
    store, and costs the parsing of those few anchors instead of a hundred and forty.  The
    ``X509_STORE`` of each such subset is built once and kept (bounded): a fleet's chains end
    at a handful of roots.  ``to_der`` makes the DER OpenSSL is given of an anchor, only when
    a chain names it: a system store's hundred and forty anchors are not all serialised (or
    rebuilt, for the JDK's name-and-key anchors) for the one or two a chain needs.
    """

    def __init__(self, anchors: Sequence[tuple[str, A]], to_der: Callable[[A], bytes], *, limit: int = 256) -> None:
        self.by_name: dict[str, list[A]] = {}
        for name, anchor in anchors:
            self.by_name.setdefault(name, []).append(anchor)
        self.to_der = to_der
        self.limit = limit
        self._stores: dict[tuple[A, ...], int] = {}
        self._lock = threading.Lock()

    def relevant(self, names: Sequence[str]) -> list[A]:
        seen: dict[A, None] = {}
        for n in names:
            for anchor in self.by_name.get(n, ()):
                seen[anchor] = None
        return list(seen)

    def x509_store(self, lib: _Lib, names: Sequence[str]) -> int:
        """An ``X509_STORE*`` of the anchors that can matter for ``names``, up-referenced for
        the caller (free it with ``X509_STORE_free``)."""
        key = tuple(self.relevant(names))
        with self._lock:
            store = self._stores.get(key)
            if store is None:
                store = lib.X509_STORE_new()  # type: ignore[attr-defined]
                for anchor in key:
                    x = _parsed.get(lib, self.to_der(anchor))
                    if x:
                        lib.X509_STORE_add_cert(store, x)  # type: ignore[attr-defined]
                        lib.X509_free(x)  # type: ignore[attr-defined]
                if len(self._stores) >= self.limit:
                    lib.X509_STORE_free(self._stores.pop(next(iter(self._stores))))  # type: ignore[attr-defined]
                self._stores[key] = store
            lib.X509_STORE_up_ref(store)  # type: ignore[attr-defined]
            return store

    def __del__(self) -> None:
        if _lib is not None:
            for store in self._stores.values():
                _lib.X509_STORE_free(store)  # type: ignore[attr-defined]


def openssl_verify(
    chain: Sequence[bytes],
    names: Sequence[str],
    store: OpenSSLStore[Any],
    *,
    now: dt.datetime,
    security_level: int,
    max_depth: int = 100,
    partial_chain: bool = False,
    purpose: bool = True,
    cn_constrained: bool = True,
    ca_purpose: bool = True,
    valid_at_not_after: bool = False,
) -> OpenSSLVerdict:
    """``X509_verify_cert`` on ``chain`` (leaf first, DER) against ``store`` at ``now``.

    ``purpose`` False verifies for no purpose (OpenSSL's ``default`` parameters instead of
    ``ssl_server``): what a client does that gives its library no purpose to check (GnuTLS's
    ``gnutls_certificate_verify_peers2`` in mutt, glib-networking's ``verify_crt``).

    ``names`` are the keys of the subject and issuer names the chain's certificates carry
    (which anchors can matter).  A certificate OpenSSL cannot parse is left out of the untrusted list
    (as the handshake would drop it); an unparsable leaf is an error verdict.  ``cn_constrained``
    False: no subject CN is checked against dNSName constraints (``NEVER_CHECK_SUBJECT``; no host
    is passed, so it changes nothing else); ``ca_purpose`` False: only the leaf's EKU is held
    against the purpose; ``valid_at_not_after``: a certificate whose notAfter is ``now``'s whole
    second is still valid (OpenSSL expires it then).  A verify callback forgives those (:func:`_forgiving`).
    """
    lib = _get()
    parsed = [_parsed.get(lib, d) for d in chain]
    leaf = parsed[0]
    if not leaf:
        _free_all(lib, parsed)
        return OpenSSLVerdict(False, -1, "OpenSSL cannot parse the certificate", 0, ())
    sk = lib.OPENSSL_sk_new_null()  # type: ignore[attr-defined]
    ctx = lib.X509_STORE_CTX_new()  # type: ignore[attr-defined]
    trusted = store.x509_store(lib, names)
    try:
        for x in parsed[1:]:
            if x:
                lib.OPENSSL_sk_push(sk, x)  # type: ignore[attr-defined]
        lib.X509_STORE_CTX_init(ctx, trusted, leaf, sk)  # type: ignore[attr-defined]
        lib.X509_STORE_CTX_set_default(ctx, b"ssl_server" if purpose else b"default")  # type: ignore[attr-defined]
        callback = _CALLBACKS.get((not ca_purpose, valid_at_not_after))
        if callback is not None:
            lib.X509_STORE_CTX_set_verify_cb(ctx, callback)  # type: ignore[attr-defined]
        _set_params(lib, lib.X509_STORE_CTX_get0_param(ctx), now=now, security_level=security_level,  # type: ignore[attr-defined]
                    max_depth=max_depth, partial_chain=partial_chain, cn_constrained=cn_constrained)
        return _verdict(lib, ctx, parsed, lib.X509_verify_cert(ctx) == 1)  # type: ignore[attr-defined]
    finally:
        lib.X509_STORE_CTX_free(ctx)  # type: ignore[attr-defined]
        lib.X509_STORE_free(trusted)  # type: ignore[attr-defined]
        lib.OPENSSL_sk_free(sk)  # type: ignore[attr-defined]
        _free_all(lib, parsed)


def _verdict(lib: _Lib, ctx: int, parsed: Sequence[int], ok: bool) -> OpenSSLVerdict:
    """What ``X509_verify_cert`` decided on ``ctx``: its error, depth and text, and the path it
    built (indexes of ``parsed``); OpenSSL's error queue left empty for the next call."""
    err = lib.X509_STORE_CTX_get_error(ctx)  # type: ignore[attr-defined]
    depth = lib.X509_STORE_CTX_get_error_depth(ctx)  # type: ignore[attr-defined]
    text = (lib.X509_verify_cert_error_string(err) or b"").decode()  # type: ignore[attr-defined]
    path = _built_path(lib, ctx, parsed)
    lib.ERR_clear_error()  # type: ignore[attr-defined]
    return OpenSSLVerdict(ok, 0 if ok else err, "ok" if ok else text, depth, path)


def _free_all(lib: _Lib, parsed: Sequence[int]) -> None:
    for x in parsed:
        if x:
            lib.X509_free(x)  # type: ignore[attr-defined]


def _set_params(lib: _Lib, param: int, *, now: dt.datetime, security_level: int, max_depth: int, partial_chain: bool,
                cn_constrained: bool) -> None:
    """The verification parameters a client sets (``openssl_verify`` says what each means)."""
    lib.X509_VERIFY_PARAM_set_time(param, int(now.timestamp()))  # type: ignore[attr-defined]
    lib.X509_VERIFY_PARAM_set_auth_level(param, security_level)  # type: ignore[attr-defined]
    lib.X509_VERIFY_PARAM_set_depth(param, max_depth)  # type: ignore[attr-defined]
    if partial_chain:
        lib.X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN)  # type: ignore[attr-defined]
    if not cn_constrained:
        lib.X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT)  # type: ignore[attr-defined]


def _forgiving(ca_purpose: bool, at_not_after: bool) -> Callable[[int, int], int]:
    """OpenSSL's verify callback forgiving what a client's own rules allow, any other error kept:
    ``ca_purpose``, a purpose error on a CA (depth > 0); ``at_not_after``, the expiry of a
    certificate whose notAfter is the verification time itself."""
    def callback(ok: int, ctx: int) -> int:
        lib = _lib
        if ok or lib is None:
            return ok
        error = lib.X509_STORE_CTX_get_error(ctx)  # type: ignore[attr-defined]
        if ca_purpose and error == X509_V_ERR_INVALID_PURPOSE and lib.X509_STORE_CTX_get_error_depth(ctx) > 0:  # type: ignore[attr-defined]
            return 1
        if at_not_after and error == X509_V_ERR_CERT_HAS_EXPIRED:
            # expired at or before the time (OpenSSL): after the second before it, it ends on it
            before = ctypes.c_int64(lib.X509_VERIFY_PARAM_get_time(lib.X509_STORE_CTX_get0_param(ctx)) - 1)  # type: ignore[attr-defined]
            cert = lib.X509_STORE_CTX_get_current_cert(ctx)  # type: ignore[attr-defined]
            if cert and lib.X509_cmp_time(lib.X509_get0_notAfter(cert), ctypes.byref(before)) > 0:  # type: ignore[attr-defined]
                return 1
        return ok
    return callback


# one C callback per combination, kept alive for the process
_CALLBACKS = {(purpose, not_after): _VERIFY_CB(_forgiving(purpose, not_after))
              for purpose in (False, True) for not_after in (False, True) if purpose or not_after}


def _built_path(lib: _Lib, ctx: int, parsed: Sequence[int]) -> tuple[int, ...]:
    """The path OpenSSL built (as far as it got), as indexes into the sent chain (-1: an anchor)."""
    built = lib.X509_STORE_CTX_get0_chain(ctx)  # type: ignore[attr-defined]
    if not built:
        return ()
    index = {x: n for n, x in enumerate(parsed) if x}
    return tuple(index.get(lib.OPENSSL_sk_value(built, k), -1) for k in range(lib.OPENSSL_sk_num(built)))  # type: ignore[attr-defined]
