"""Differential tests: a corpus of tricky certificates and the real TLS libraries' verdicts on it.

`corpus.generate()` builds the certificates, `oracles.run_oracle()` asks one real
implementation (OpenSSL, CPython ssl, GnuTLS, NSS, JDK, Node.js, Go) about every case.
See README.md in this directory.
"""
