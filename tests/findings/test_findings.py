"""The one finding shape: code, severity, facts; words from the catalogue; the judgement value."""

from __future__ import annotations

import datetime as dt
import pickle
import shlex
import string

import pytest

from mailcert.errors import InputError
from mailcert.findings import CATALOGUE, Facts, Finding, Severity, fill, finding
from mailcert.judgement import Judgement
from mailcert.names.profiles import DEFAULT_CLIENTS, PROFILES


def test_a_finding_is_code_severity_and_facts_and_its_words_come_from_the_catalogue() -> None:
    f = finding("expiring-soon", days=12, warn_days=30, not_after="2027-01-01 00:00 UTC", name="mail.example.com")
    assert (f.code, f.severity) == ("expiring-soon", Severity.WARNING)
    assert dict(f.facts) == {"days": 12, "warn_days": 30, "not_after": "2027-01-01 00:00 UTC", "name": "mail.example.com"}
    assert f.title == "The certificate expires in 12 days (2027-01-01 00:00 UTC)"
    assert f.explanation == "Within the warning window of 30 days."
    assert "mailcert cert new --name mail.example.com" in f.remedy
    assert f.as_dict()["facts"] == dict(f.facts) and f.as_dict()["title"] == f.title


def test_findings_are_values_they_hash_compare_and_pickle() -> None:
    a = finding("weak-rsa-key", bits=1024, name="x.example")
    b = Finding("weak-rsa-key", "warning", {"bits": 1024, "name": "x.example"})  # type: ignore[arg-type]
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(AttributeError):
        a.facts._data = {}  # type: ignore[misc]
    assert not hasattr(a.facts, "__setitem__")


def test_facts_are_plain_data_only() -> None:
    with pytest.raises(TypeError):
        Facts(when=dt.datetime(2027, 1, 1))  # type: ignore[arg-type]
    assert Facts({"a": 1}, b="2") == {"a": 1, "b": "2"}


def test_unknown_placeholder_stays_visible_and_unknown_code_is_refused() -> None:
    assert finding("expiring-soon", days=3).title.startswith("The certificate expires in 3 days ({not_after})")
    with pytest.raises(KeyError):
        finding("no-such-code")


def test_the_catalogue_is_read_only() -> None:
    with pytest.raises(TypeError):
        CATALOGUE["new"] = CATALOGUE["expired"]  # type: ignore[index]


def test_judgement_defaults_and_field_errors() -> None:
    j = Judgement()
    assert j.profiles == tuple(PROFILES[c] for c in DEFAULT_CLIENTS) and j.warn_days == 30 and j.store is None
    record = Judgement(now=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)).judged(dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc), with_store=False)
    assert record.clients == DEFAULT_CLIENTS and record.store == "" and pickle.loads(pickle.dumps(record)) == record
    now = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)
    assert Judgement(now=now).clock() == now
    assert Judgement().clock().tzinfo is not None
    with pytest.raises(InputError, match="warn_days"):
        Judgement(warn_days=-1)
    with pytest.raises(InputError, match="now"):
        Judgement(now=dt.datetime(2027, 1, 1))


def _format_map_reference(template: str, facts: dict[str, object]) -> str:
    """What a template means, spelt with ``str.format_map``: unknown placeholders stay visible,
    values inside backticks are shell-quoted (fill() joins pre-read pieces; it must say the same)."""

    class Missing(dict[str, object]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    class Quoted:
        def __getitem__(self, key: str) -> str:
            return shlex.quote(str(facts[key])) if key in facts else "{" + key + "}"

    parts = template.split("`")
    return "`".join(part.format_map(Quoted() if i % 2 else Missing(facts)) for i, part in enumerate(parts))


HOSTILE_VALUES = ["*.x';rm -rf ~;'", "two words", "", "mail.example.com", 0, 7, True, None, "{name}", "é`x", "$(id)", "{{"]


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_fill_says_what_format_map_says_for_every_template(code: str) -> None:
    spec = CATALOGUE[code]
    for template in (spec.title, spec.explanation, spec.remedy):
        keys = sorted({k for part in template.split("`") for _, k, _, _ in string.Formatter().parse(part) if k})
        for value in HOSTILE_VALUES:
            for left_out in [None, *keys]:
                facts = {k: value for k in keys if k != left_out}
                assert fill(template, Facts(facts)) == _format_map_reference(template, facts), (template, facts)


@pytest.mark.parametrize(
    "template", ["", "`", "``", "a`b", "a`{x}`", "`{x}", "{x}`", "{{x}}`{{y}}`{x}", "`{x}`{x}`{x}", "{x!r} `{x:>9}`", "{x[0]}"]
)
def test_fill_of_unusual_templates(template: str) -> None:
    for facts in ({}, {"x": "a b"}, {"x": 10}):
        said = []
        for way in (fill, _format_map_reference):
            try:
                said.append(way(template, facts))  # type: ignore[operator]
            except TypeError as exc:  # {x[0]} of a number: the same error either way
                said.append(type(exc).__name__)
        assert said[0] == said[1], (template, facts)
