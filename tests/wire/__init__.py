"""The wire suite: real mail clients against a real Dovecot and Postfix on loopback (see cases.py)."""
