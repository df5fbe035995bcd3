"""OpenSSL's ``X509_verify_cert`` driven two ways over an x509-limbo case, in-process.

- :func:`as_limbo` sets it up exactly as limbo's own OpenSSL harness does
  (``harness/openssl/main.cpp`` of C2SP/x509-limbo): ``X509_V_FLAG_X509_STRICT`` and
  ``X509_V_FLAG_PARTIAL_CHAIN`` on the store, the case's CRLs with ``CRL_CHECK | CRL_CHECK_ALL``,
  ``NO_CHECK_TIME`` when the case has no time, security level 2, a purpose only when the case
  names an EKU, the peer name through ``set1_host`` with ``NO_PARTIAL_WILDCARDS`` or
  ``set1_ip_asc``.  It must reproduce ``results-openssl.json``: that proves this driver is the
  harness, so a difference between a profile and that file is explained by a setting.
- :func:`as_client` sets it up as libssl does for a TLS client that named the server with
  ``SSL_set1_host`` (purpose ``ssl_server``, security level 2, host flags 0, an IP literal
  through ``set1_ip_asc``): the real behaviour the ``openssl`` profile stands for, name check
  included, done by OpenSSL itself.

Test code: mailcert's own validator (``certs/libcrypto.py``) never sets a host, flags or CRLs.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import ssl
from collections.abc import Sequence
from typing import Any

from mailcert.certs.libcrypto import _get, _parsed

X509_V_FLAG_CRL_CHECK = 0x4
X509_V_FLAG_CRL_CHECK_ALL = 0x8
X509_V_FLAG_X509_STRICT = 0x20
X509_V_FLAG_NO_CHECK_TIME = 0x200000
X509_V_FLAG_PARTIAL_CHAIN = 0x80000
X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS = 0x4
_PURPOSES = {"serverAuth": 2, "clientAuth": 1, "anyExtendedKeyUsage": 7}  # X509_PURPOSE_*


class _Extra:
    """The libcrypto calls a harness needs beyond mailcert's validator."""

    def __init__(self) -> None:
        lib = _get()
        c = lib.lib
        p, i, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        for name, res, args in (
            ("BIO_new_mem_buf", p, [p, i]),
            ("BIO_free", i, [p]),
            ("PEM_read_bio_X509_CRL", p, [p, p, p, p]),
            ("X509_CRL_free", None, [p]),
            ("X509_STORE_add_crl", i, [p, p]),
            ("X509_STORE_set_flags", i, [p, ctypes.c_ulong]),
            ("X509_STORE_CTX_set_purpose", i, [p, i]),
            ("X509_VERIFY_PARAM_set_hostflags", None, [p, ctypes.c_uint]),
            ("X509_VERIFY_PARAM_set1_host", i, [p, s, ctypes.c_size_t]),
            ("X509_VERIFY_PARAM_set1_ip_asc", i, [p, s]),
        ):
            fn = getattr(c, name)
            fn.restype, fn.argtypes = res, args
            setattr(self, name, fn)
        self.lib = lib

    def cert(self, pem: str) -> int:
        """An up-referenced ``X509*`` (parsed once per process: both drivers judge each case)."""
        return _parsed.get(self.lib, ssl.PEM_cert_to_DER_cert(pem))

    def pem(self, text: str, reader: str) -> int:
        data = text.encode()
        bio = self.BIO_new_mem_buf(data, len(data))
        try:
            return getattr(self, reader)(bio, None, None, None) or 0
        finally:
            self.BIO_free(bio)


_extra: _Extra | None = None


def _x() -> _Extra:
    global _extra
    if _extra is None:
        _extra = _Extra()
    return _extra


def _run(case: dict[str, Any], *, limbo: bool, harness_day: dt.datetime) -> bool:
    x, lib = _x(), _x().lib
    store = lib.X509_STORE_new()
    sk = lib.OPENSSL_sk_new_null()
    ctx = lib.X509_STORE_CTX_new()
    owned: list[int] = []
    crls: list[int] = []
    try:
        if limbo:
            x.X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN)
        for pem in case["trusted_certs"]:
            cert = x.cert(pem)
            owned.append(cert)
            lib.X509_STORE_add_cert(store, cert)
        if limbo and case.get("crls"):
            for pem in case["crls"]:
                crl = x.pem(pem, "PEM_read_bio_X509_CRL")
                crls.append(crl)
                x.X509_STORE_add_crl(store, crl)
            x.X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)
        for pem in case["untrusted_intermediates"]:
            cert = x.cert(pem)
            owned.append(cert)
            lib.OPENSSL_sk_push(sk, cert)
        peer = x.cert(case["peer_certificate"])
        owned.append(peer)
        lib.X509_STORE_CTX_init(ctx, store, peer, sk)
        if not limbo:
            lib.X509_STORE_CTX_set_default(ctx, b"ssl_server")
        param = lib.X509_STORE_CTX_get0_param(ctx)
        when = case["validation_time"]
        if when:
            lib.X509_VERIFY_PARAM_set_time(param, int(dt.datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()))
        elif limbo:
            x.X509_STORE_set_flags(store, X509_V_FLAG_NO_CHECK_TIME)  # as the harness: after init, on the store
        else:
            lib.X509_VERIFY_PARAM_set_time(param, int(harness_day.timestamp()))
        lib.X509_VERIFY_PARAM_set_auth_level(param, 2)
        name = case["expected_peer_name"]
        if name:
            value = name["value"].encode()
            if name["kind"] == "IP" or (not limbo and x.X509_VERIFY_PARAM_set1_ip_asc(param, value) == 1):
                x.X509_VERIFY_PARAM_set1_ip_asc(param, value)
            else:
                x.X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS if limbo else 0)
                x.X509_VERIFY_PARAM_set1_host(param, value, len(value))
        if limbo:
            for eku in case["extended_key_usage"] or ():
                x.X509_STORE_CTX_set_purpose(ctx, _PURPOSES[eku])
        if case["max_chain_depth"] is not None:
            lib.X509_VERIFY_PARAM_set_depth(param, case["max_chain_depth"])
        ok = lib.X509_verify_cert(ctx) == 1
        lib.ERR_clear_error()
        return ok
    finally:
        lib.X509_STORE_CTX_free(ctx)
        lib.OPENSSL_sk_free(sk)
        lib.X509_STORE_free(store)
        for cert in owned:
            lib.X509_free(cert)
        for crl in crls:
            x.X509_CRL_free(crl)


def as_limbo(case: dict[str, Any], harness_day: dt.datetime) -> bool:
    """Limbo's OpenSSL harness's verdict on ``case``, recomputed in-process."""
    return _run(case, limbo=True, harness_day=harness_day)


def as_client(case: dict[str, Any], harness_day: dt.datetime) -> bool:
    """The verdict of a TLS client that named the server with ``SSL_set1_host``."""
    return _run(case, limbo=False, harness_day=harness_day)


def cases_supported(cases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases both drivers can run (limbo's harness skips what it cannot express)."""
    return [c for c in cases if len(c["extended_key_usage"] or ()) <= 1 and all(e in _PURPOSES for e in c["extended_key_usage"] or ())]
