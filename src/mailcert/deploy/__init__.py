"""``mailcert deploy``: install a certificate into Dovecot or Postfix, prove it live, or roll back.

Plan, then apply (STYLE rule 8)::

    bundle.py    the certificate to install (--cert DIR, certbot / acme.sh hook variables)
    checks.py    pure: key matches, chain complete, every client profile on the name
    plan.py      pure: Discovery + bundle + file snapshots -> Plan (files, settings, diff)
    dovecot.py   discover (doveconf -a), config test (doveconf -x -n), reload (doveadm reload)
    postfix.py   discover (postconf), config test (postfix check), reload (postfix reload)
    apply.py     the engine: checkpoint, write, test, reload, verify, roll back
    render.py    the report as text or JSON

The server modules only discover, test and reload; every server gets the same engine.
"""

from mailcert.deploy.apply import DeployOptions, DeployReport, deploy
from mailcert.deploy.bundle import CertBundle, bundle_from_dir, bundle_from_env, bundle_from_files
from mailcert.deploy.plan import Discovery, Plan, PlanOptions, make_plan

__all__ = [
    "CertBundle",
    "DeployOptions",
    "DeployReport",
    "Discovery",
    "Plan",
    "PlanOptions",
    "bundle_from_dir",
    "bundle_from_env",
    "bundle_from_files",
    "deploy",
    "make_plan",
]
