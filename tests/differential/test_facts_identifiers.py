"""inspect and check judge from CertificateFacts; the differential suite from the certificate
itself.  Both must hand the name engine the same identifiers, for every corpus certificate."""

from __future__ import annotations

import warnings

from cryptography import x509

from mailcert.certs.info import facts_from_certificate
from mailcert.errors import CertificateError
from mailcert.names import PresentedIdentifiers
from tests.differential.corpus import generate


def test_facts_carry_the_identifiers_the_engine_reads() -> None:
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # over-long CNs in the corpus
        for item in generate():
            cert = x509.load_der_x509_certificate(item.der)
            try:
                facts = facts_from_certificate(cert, source=item.id)
            except CertificateError:
                continue  # unreadable for inspect: it says so instead of judging
            assert facts.identifiers == PresentedIdentifiers.from_certificate(cert), item.id
            compared += 1
    assert compared > 250
