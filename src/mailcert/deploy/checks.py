"""Before touching anything: is this certificate fit to serve?  Pure, judged offline.

The same judges as ``inspect`` and ``check`` (name engine, chain path builder), so a deploy
refuses for the same reasons, in the same words, as the doctor would complain afterwards.

Two kinds of "no":

* **refusals** that ``force`` cannot override: the key is not the certificate's, the chain
  has a gap or a bad link, the certificate is expired or not yet valid.  Serving these breaks
  every client at once.
* **objections** that ``force`` overrides: some client profile would refuse the name, or the
  chain ends at a root the trust store does not hold (a private CA the clients were given by
  hand, a self-signed certificate).  The administrator may know better; after a forced deploy,
  verification expects exactly these clients to refuse, and no others.

Each is a line of text; the ones that point at another option name its field (the judgement's
``store``, ``force``) in a :class:`~mailcert.errors.Remark`, which the CLI says as a flag.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mailcert.assess import Assessment, assess_certificate
from mailcert.certs.build import key_matches
from mailcert.certs.info import facts_from_certificate
from mailcert.certs.chain import TrustProblem, TrustResult, verify_chain
from mailcert.deploy.bundle import CertBundle
from mailcert.errors import Remark
from mailcert.judgement import Judgement

__all__ = ["Checks", "check_bundle"]

_FORCEABLE_TRUST = {TrustProblem.NONE, TrustProblem.UNTRUSTED_ROOT, TrustProblem.SELF_SIGNED_LEAF}


@dataclass(frozen=True)
class Checks:
    """The pre-flight verdicts: refusals (hard), objections (overridden by ``force``), and the details."""

    name: str
    key_matches: bool
    trust: TrustResult
    assessment: Assessment
    refusals: tuple[str, ...]
    objections: tuple[str, ...]

    @property
    def refused_by(self) -> frozenset[str]:
        """Client ids that refuse the name offline: after a forced deploy, the expected refusals."""
        return frozenset(v.client for v in self.assessment.results if not v.accepted)

    def blocking(self, force: bool) -> tuple[str, ...]:
        return self.refusals if force else self.refusals + self.objections


def check_bundle(bundle: CertBundle, name: str, judgement: Judgement) -> Checks:
    """Judge ``bundle`` for ``name`` by every profile of ``judgement``, its chain against the
    judgement's trust store at its clock, and its key."""
    now = judgement.clock()
    refusals: list[str] = []
    objections: list[str] = []
    leaf = bundle.leaf
    matches = key_matches(bundle.key, leaf)
    if not matches:
        elsewhere = any(key_matches(bundle.key, c) for c in bundle.certs[1:])
        if elsewhere:
            refusals.append(f"{bundle.source}: the key belongs to a later certificate in the file; put the leaf first")
        else:
            refusals.append(
                f"{bundle.source}: the key does not belong to the certificate (their public keys differ)"
            )

    trust = verify_chain(bundle.certs, judgement.trust_store(), now=now)
    if trust.problem not in _FORCEABLE_TRUST:
        if trust.problem is TrustProblem.MISSING_INTERMEDIATE:
            refusals.append(Remark(
                f"chain incomplete: {trust.detail}; add the intermediate certificate(s) to fullchain.pem"
                " (or, for a private CA, give it with store)", mentions=("store",),
            ))
        else:
            refusals.append(f"chain broken: {trust.detail}")
    elif not trust.trusted:
        objections.append(Remark(f"chain not trusted: {trust.detail}; give the CA with store FILE (or force)", mentions=("store", "force")))

    facts = facts_from_certificate(leaf, source=bundle.source)
    if now > facts.not_after:
        refusals.append(f"the certificate expired on {facts.not_after:%Y-%m-%d}")
    elif now < facts.not_before:
        refusals.append(f"the certificate is not valid before {facts.not_before:%Y-%m-%d %H:%M} UTC")
    assessment = assess_certificate(facts, [name], replace(judgement, now=now), source=bundle.source, chain=bundle.certs)
    refusing = [v for v in assessment.results if not v.accepted]
    if refusing:
        who = ", ".join(v.client for v in refusing)
        first = refusing[0]
        objections.append(Remark(
            f"{len(refusing)} of {len(assessment.results)} clients would refuse {name} ({who});"
            f" {first.client}: {first.reason} (use force to deploy anyway)", mentions=("force",),
        ))
    return Checks(name, matches, trust, assessment, tuple(refusals), tuple(objections))
