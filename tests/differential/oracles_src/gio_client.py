"""One TLS connection as Evolution makes it, through GIO and glib-networking's GnuTLS backend.

Run by Debian's /usr/bin/python3 (python3-gi, glib-networking), one process per served chain
(chain_program.py gio):  gio_client.py <anchors file> <typed name> <port>.

What camel (evolution-data-server src/camel/camel-network-service.c) does: a GSocketClient
connection, then g_tls_client_connection_new(connection, GNetworkAddress(host, port)) - the
typed name is the server identity GIO checks - and an "accept-certificate" handler
(network_service_accept_certificate_cb) that GIO calls only when its validation found errors,
and that asks the user (camel_session_trust_prompt).  Here the TCP connection goes to 127.0.0.1
and the identity is the typed name; the handler answers no, as an unanswered prompt does; the
database is a GTlsFileDatabase of the case's anchors instead of the backend's default (the
system store): the same GTlsDatabaseGnutls verification (gnutls_x509_trust_list_verify_crt,
no purpose) on other anchors.

stdout  "ACCEPTED" (exit 0), or "REFUSED: <GTlsCertificateFlags>: <GIO's message>" (exit 1)
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402


def main(argv: list[str]) -> int:
    cafile, host, port = argv[1], argv[2], int(argv[3])
    tcp = Gio.SocketClient.new().connect_to_host("127.0.0.1", port, None)
    tls = Gio.TlsClientConnection.new(tcp, Gio.NetworkAddress.new(host, port))
    tls.set_database(Gio.TlsFileDatabase.new(cafile))
    errors: list[Gio.TlsCertificateFlags] = []

    def refuse(_conn: Gio.TlsConnection, _cert: Gio.TlsCertificate, flags: Gio.TlsCertificateFlags) -> bool:
        errors.append(flags)
        return False

    tls.connect("accept-certificate", refuse)
    try:
        tls.handshake(None)
    except GLib.Error as exc:
        flags = " | ".join(n for f in errors for n in f.value_nicks if n != "no-flags") or "no certificate errors"
        print(f"REFUSED: {flags}: {exc.message}")
        return 1
    print("ACCEPTED")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
