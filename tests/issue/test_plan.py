"""The client plan (pure): predicted SAN order, who would refuse, the layout that works."""

from __future__ import annotations

import pytest

from mailcert.errors import InputError
from mailcert.issue.plan import CaSortsNames, ca_sorts_names, plan_for, predicted_order, select_profiles

ALL = select_profiles([])


@pytest.mark.parametrize(
    ("url", "choice", "expected"),
    [
        ("https://acme-v02.api.letsencrypt.org/directory", "auto", True),
        ("https://ACME-STAGING-V02.api.letsencrypt.org./directory", "auto", True),
        ("https://127.0.0.1:14000/dir", "auto", False),
        ("https://acme.zerossl.com/v2/DV90", "auto", False),
        ("https://127.0.0.1:14000/dir", "yes", True),
        ("https://acme-v02.api.letsencrypt.org/directory", "no", False),
        ("https://127.0.0.1:14000/dir", CaSortsNames.YES, True),
    ],
)
def test_ca_sorts_names(url: str, choice: str, expected: bool) -> None:
    assert ca_sorts_names(url, choice) is expected


def test_ca_sorts_names_refuses_other_words() -> None:
    with pytest.raises(InputError, match="auto, yes or no"):
        ca_sorts_names("https://x/dir", "maybe")


@pytest.mark.parametrize(
    ("names", "sorts", "expected"),
    [
        (("remote.contoso.com", "sites", "companyweb"), False, ("remote.contoso.com", "sites", "companyweb")),
        (("remote.contoso.com", "sites", "companyweb"), True, ("companyweb", "remote.contoso.com", "sites")),
        # IP addresses follow the DNS names, as Go's x509 encodes them
        (("remote.contoso.com", "192.0.2.10", "autodiscover.contoso.com"), True,
         ("autodiscover.contoso.com", "remote.contoso.com", "192.0.2.10")),
        (("remote.contoso.com", "*.contoso.com"), True, ("*.contoso.com", "remote.contoso.com")),
        (("remote.contoso.com", "10.0.0.2", "10.0.0.10"), True, ("remote.contoso.com", "10.0.0.2", "10.0.0.10")),
    ],
)
def test_predicted_order(names: tuple[str, ...], sorts: bool, expected: tuple[str, ...]) -> None:
    assert predicted_order(names, sorts=sorts) == expected


def test_plan_keeps_order_ca_accepts_everything() -> None:
    plan = plan_for(("remote.contoso.com", "sbs.contoso.local", "companyweb"), ALL, ca_sorts=False)
    assert plan.ok and plan.layout == () and plan.predicted == plan.requested
    assert plan.clients == tuple(p.id for p in ALL)


def test_plan_sorting_ca_outlook2007_refuses_and_layout_splits() -> None:
    names = ("remote.contoso.com", "sbs.contoso.local", "sites", "companyweb", "autodiscover.contoso.com")
    plan = plan_for(names, ALL, ca_sorts=True)
    assert not plan.ok
    assert [v.client for v in plan.refusals] == ["outlook2007"]
    assert plan.predicted[0] == "autodiscover.contoso.com"
    # names sorting after the mail name stay with it; the others go to a second certificate
    assert plan.layout == (
        ("remote.contoso.com", "sbs.contoso.local", "sites"),
        ("companyweb", "autodiscover.contoso.com"),
    )
    # and the proposed first certificate really passes the plan
    assert plan_for(plan.layout[0], ALL, ca_sorts=True).ok


def test_plan_sorting_ca_alone_when_nothing_sorts_after() -> None:
    plan = plan_for(("www.contoso.com", "autodiscover.contoso.com", "mail.contoso.com"), ALL, ca_sorts=True)
    assert plan.layout == (("www.contoso.com",), ("autodiscover.contoso.com", "mail.contoso.com"))
    alone = plan_for(("www.contoso.com",), ALL, ca_sorts=True)
    assert alone.ok


def test_plan_sorting_ca_fine_when_mail_name_sorts_first() -> None:
    plan = plan_for(("mail.contoso.com", "sites", "webmail.contoso.com", "192.0.2.1"), ALL, ca_sorts=True)
    assert plan.ok


def test_plan_only_configured_clients_count() -> None:
    names = ("remote.contoso.com", "companyweb")
    assert not plan_for(names, select_profiles(["outlook2007"]), ca_sorts=True).ok
    assert plan_for(names, select_profiles(["thunderbird", "openssl"]), ca_sorts=True).ok


def test_select_profiles_refuses_unknown() -> None:
    with pytest.raises(InputError, match="unknown client 'outlook98'"):
        select_profiles(["outlook98"])
