"""ACME: obtain and renew a trusted certificate (named ``issue`` so it does not shadow ``acme``).

* :mod:`~mailcert.issue.plan`       pure: predicted SAN order, the client plan, the layout that works
* :mod:`~mailcert.issue.client`     :class:`AcmeCA`, the only code that talks to the CA (certbot's ``acme``)
* :mod:`~mailcert.issue.challenges` publishing answers: built-in HTTP-01 listener, webroot, DNS-01 hook
* :mod:`~mailcert.issue.issuer`     :func:`issue`: plan, account, order, challenge, judge, install
* :mod:`~mailcert.issue.renew`      which lineages are due; the certbot-compatible deploy hook
* :mod:`~mailcert.issue.state`      state directory, account store, lineage list
* :mod:`~mailcert.issue.clock`      the clock, passed in

This package imports nothing heavy itself; ``acme``/``josepy``/``requests`` are loaded by
:mod:`~mailcert.issue.client` (and by the HTTP-01 solver) only when a certificate is issued.
"""

__all__: list[str] = []
