"""Discovery from ``doveconf -a`` / ``postconf`` output, and editing a setting in a config text.

Pure functions on text: table-driven, no server needed.  The texts are shaped like the real
output of Dovecot 2.3.19 and Postfix 3.7 (the integration tests run the real tools).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailcert.deploy.dovecot import discovery_from_doveconf, parse_doveconf
from mailcert.deploy.plan import set_setting
from mailcert.deploy.postfix import discovery_from_postconf
from mailcert.model import Protocol, TlsMode

CONF = Path("/etc/dovecot/dovecot.conf")

DOVECOT_23 = """\
# 2.3.19.1 (9b53102964): /etc/dovecot/dovecot.conf
# OS: Linux 6.1 x86_64 Debian 12
auth_mechanisms = plain
listen = *, ::
protocols = imap pop3
ssl = required
ssl_alt_cert =
ssl_cert = </etc/ssl/mail/fullchain.pem
ssl_key = # hidden, use -P to show it
service imap-login {
  inet_listener imap {
    address =
    port = 143
    ssl = no
  }
  inet_listener imaps {
    address =
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address =
    port = 0
    ssl = no
  }
  inet_listener pop3s {
    address =
    port = 995
    ssl = yes
  }
}
service submission-login {
  inet_listener submission {
    address =
    port = 587
    ssl = no
  }
}
local 127.0.0.2 {
  ssl_cert = </etc/ssl/other/cert.pem
  ssl_key = # hidden, use -P to show it
}
local_name imap.example.net {
  ssl_cert = </etc/ssl/net/cert.pem
}
"""


def test_dovecot_23_server_wide_files_listeners_and_blocks() -> None:
    d = discovery_from_doveconf(DOVECOT_23, CONF, key_value="</etc/ssl/mail/key.pem")
    assert d.version == "2.3.19.1"
    assert d.primary is not None
    assert d.primary.cert_path == Path("/etc/ssl/mail/fullchain.pem")
    assert d.primary.key_path == Path("/etc/ssl/mail/key.pem")
    assert d.install_template == (("ssl_cert", "<{cert}"), ("ssl_key", "<{key}"))
    # "*, ::" is one listener reached on 127.0.0.1; pop3 on port 0 is off; submission not in protocols
    assert [(l.endpoint.url, l.endpoint.mode) for l in d.listeners] == [
        ("imap://127.0.0.1:143", TlsMode.STARTTLS),
        ("imaps://127.0.0.1:993", TlsMode.IMPLICIT),
        ("pop3s://127.0.0.1:995", TlsMode.IMPLICIT),
    ]
    assert all(l.expects_new for l in d.listeners)
    scopes = {o.scope: o for o in d.others}
    assert set(scopes) == {"local 127.0.0.2", "local_name imap.example.net"}
    assert scopes["local_name imap.example.net"].sni_names == ("imap.example.net",)
    assert d.problems == ()


def test_dovecot_local_block_marks_the_listeners_on_its_address() -> None:
    text = DOVECOT_23.replace("listen = *, ::", "listen = 127.0.0.1, 127.0.0.2")
    d = discovery_from_doveconf(text, CONF, key_value="</k.pem")
    own = {l.endpoint.host: l.own_certificate for l in d.listeners if l.endpoint.port == 993}
    assert own["127.0.0.1"] is None
    assert own["127.0.0.2"] == "serves the certificate of local 127.0.0.2 { }"


def test_dovecot_24_file_settings() -> None:
    text = (
        "# 2.4.1 (abc): /etc/dovecot/dovecot.conf\nprotocols = imap\nlisten = 192.0.2.7\nssl = yes\n"
        "ssl_server_cert_file = /etc/ssl/c.pem\nssl_server_key_file = /etc/ssl/k.pem\n"
        "service imap-login {\n  inet_listener imaps {\n    port = 993\n    ssl = yes\n  }\n}\n"
    )
    d = discovery_from_doveconf(text, CONF)
    assert d.primary is not None and d.primary.cert_path == Path("/etc/ssl/c.pem") and d.primary.key_path == Path("/etc/ssl/k.pem")
    assert d.install_template == (("ssl_server_cert_file", "{cert}"), ("ssl_server_key_file", "{key}"))
    assert [l.endpoint.url for l in d.listeners] == ["imaps://192.0.2.7:993"]


@pytest.mark.parametrize("change, problem", [
    (("ssl = required", "ssl = no"), "ssl = no"),
    (("ssl_alt_cert =", "ssl_alt_cert = </etc/ssl/ec.pem"), "ssl_alt_cert is also set"),
    (("protocols = imap pop3", "protocols = lmtp"), "no TLS listener"),
])
def test_dovecot_refusals(change: tuple[str, str], problem: str) -> None:
    d = discovery_from_doveconf(DOVECOT_23.replace(*change), CONF, key_value="</k.pem")
    assert any(problem in p for p in d.problems), d.problems


def test_parse_doveconf_nesting() -> None:
    root = parse_doveconf("a = 1\nservice x {\n  inet_listener y {\n    port = 5\n  }\n  b = 2\n}\nc = 3\n")
    assert root.settings == {"a": "1", "c": "3"}
    (svc,) = root.blocks("service")
    assert svc.name == "x" and svc.settings == {"b": "2"}
    assert svc.blocks("inet_listener")[0].settings == {"port": "5"}


MAIN = {
    "smtpd_tls_chain_files": "/etc/ssl/mail/key.pem, /etc/ssl/mail/fullchain.pem",
    "smtpd_tls_cert_file": "",
    "smtpd_tls_key_file": "",
    "smtpd_tls_security_level": "may",
    "inet_interfaces": "all",
    "mail_version": "3.7.11",
}
FIELDS = """\
smtp/inet/service = smtp
smtp/inet/command = smtpd
submission/inet/command = smtpd -o smtpd_tls_security_level=encrypt
127.0.0.1:465/inet/command = smtpd -o smtpd_tls_wrappermode=yes
2525/inet/command = smtpd -o smtpd_tls_security_level=none
10026/inet/command = smtpd -o smtpd_tls_chain_files=/etc/ssl/other/key.pem,/etc/ssl/other/cert.pem
pickup/unix/command = pickup
"""
OVERRIDES = """\
submission/inet/smtpd_tls_security_level = encrypt
127.0.0.1:465/inet/smtpd_tls_wrappermode = yes
2525/inet/smtpd_tls_security_level = none
10026/inet/smtpd_tls_chain_files = /etc/ssl/other/key.pem,/etc/ssl/other/cert.pem
"""


def test_postfix_chain_files_and_master_cf_services() -> None:
    d = discovery_from_postconf(MAIN, FIELDS, OVERRIDES, Path("/etc/postfix"))
    assert d.primary is not None
    assert d.primary.key_path == Path("/etc/ssl/mail/key.pem")
    assert d.primary.cert_path == Path("/etc/ssl/mail/fullchain.pem")
    assert [(l.endpoint.url, l.endpoint.mode, l.expects_new) for l in d.listeners] == [
        ("smtp://127.0.0.1:25", TlsMode.STARTTLS, True),
        ("smtp://127.0.0.1:587", TlsMode.STARTTLS, True),
        ("smtps://127.0.0.1:465", TlsMode.IMPLICIT, True),
        ("smtp://127.0.0.1:10026", TlsMode.STARTTLS, False),
    ]
    assert all(l.endpoint.protocol is Protocol.SMTP for l in d.listeners)
    assert [o.scope for o in d.others] == ["master.cf 10026"]
    assert any("2525" in n and "no TLS" in n for n in d.notes)
    assert d.setting_files == (("smtpd_tls_chain_files", Path("/etc/postfix/main.cf")),)


@pytest.mark.parametrize("main, cert, key, template", [
    ({"smtpd_tls_chain_files": "/s/all.pem"}, "/s/all.pem", "/s/all.pem", "smtpd_tls_chain_files"),
    ({"smtpd_tls_cert_file": "/s/c.pem", "smtpd_tls_key_file": "/s/k.pem"}, "/s/c.pem", "/s/k.pem", "smtpd_tls_cert_file"),
    # smtpd_tls_key_file defaults to $smtpd_tls_cert_file: one file holds both
    ({"smtpd_tls_cert_file": "/s/both.pem", "smtpd_tls_key_file": "/s/both.pem"}, "/s/both.pem", "/s/both.pem", "smtpd_tls_cert_file"),
])
def test_postfix_certificate_settings(main: dict[str, str], cert: str, key: str, template: str) -> None:
    d = discovery_from_postconf({**MAIN, "smtpd_tls_chain_files": "", **main}, FIELDS, OVERRIDES, Path("/etc/postfix"))
    assert d.primary is not None
    assert (d.primary.cert_path, d.primary.key_path) == (Path(cert), Path(key))
    assert d.install_template[0][0] == template


@pytest.mark.parametrize("main, problem", [
    ({"smtpd_tls_chain_files": "/a/rsa.key /a/rsa.crt /a/ec.key /a/ec.crt"}, "lists 4 files"),
    ({"smtpd_tls_chain_files": "", "smtpd_tls_cert_file": "/c", "smtpd_tls_eccert_file": "/e"}, "smtpd_tls_eccert_file is also set"),
    ({"smtpd_tls_security_level": "none"}, None),
])
def test_postfix_refusals(main: dict[str, str], problem: str | None) -> None:
    fields = "smtp/inet/command = smtpd\n"
    d = discovery_from_postconf({**MAIN, **main}, fields, "", Path("/etc/postfix"))
    if problem is None:  # no TLS anywhere: nothing to verify
        assert any("no TLS listener" in p for p in d.problems)
    else:
        assert any(problem in p for p in d.problems), d.problems


# --- set_setting -------------------------------------------------------------------------------

DOVECOT_TEXT = """\
# ssl settings
ssl = yes
ssl_cert = </old/cert.pem
local 127.0.0.2 {
  ssl_cert = </block/cert.pem
}
ssl_key = </old/key.pem
"""


def test_set_setting_dovecot_changes_top_level_only() -> None:
    new, old = set_setting(DOVECOT_TEXT, "ssl_cert", "</new/fullchain.pem", "dovecot")
    assert old == "</old/cert.pem"
    assert new == DOVECOT_TEXT.replace("ssl_cert = </old/cert.pem", "ssl_cert = </new/fullchain.pem")
    assert "  ssl_cert = </block/cert.pem" in new


def test_set_setting_dovecot_last_top_level_line_wins() -> None:
    text = "ssl_cert = </a\nssl_cert = </b\n"
    assert set_setting(text, "ssl_cert", "</c", "dovecot") == ("ssl_cert = </a\nssl_cert = </c\n", "</b")


def test_set_setting_appends_when_absent() -> None:
    assert set_setting("ssl = yes", "ssl_key", "</k", "dovecot") == ("ssl = yes\nssl_key = </k\n", None)


def test_set_setting_postfix_replaces_continuation_lines() -> None:
    text = "# c\nsmtpd_tls_chain_files =\n    /a/key.pem,\n    /a/cert.pem\nsmtpd_tls_security_level = may\n"
    new, old = set_setting(text, "smtpd_tls_chain_files", "/n/key.pem, /n/fullchain.pem", "postfix")
    assert old == "/a/key.pem, /a/cert.pem"
    assert new == "# c\nsmtpd_tls_chain_files = /n/key.pem, /n/fullchain.pem\nsmtpd_tls_security_level = may\n"


def test_set_setting_postfix_ignores_prefix_names() -> None:
    text = "smtpd_tls_cert_file_x = 1\nsmtpd_tls_cert_file = /old\n"
    new, old = set_setting(text, "smtpd_tls_cert_file", "/new", "postfix")
    assert (new, old) == ("smtpd_tls_cert_file_x = 1\nsmtpd_tls_cert_file = /new\n", "/old")
