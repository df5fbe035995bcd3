"""The cyclic garbage collector is paused for start-up, and always restored."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mailcert.cli import _startup, main


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_restored_after_an_error(collector_on: None) -> None:
    with pytest.raises(ZeroDivisionError), _startup(freeze=False):
        assert not gc.isenabled()
        1 / 0  # noqa: B018 - the block fails
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on: None) -> None:
    gc.disable()
    with _startup(freeze=False):
        pass
    assert not gc.isenabled()


def test_a_command_gives_the_collector_back(collector_on: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "imaps://127.0.0.1:1", "--timeout", "2"]) == 3  # nothing listens on port 1
    assert "mailcert: error" in capsys.readouterr().err
    assert gc.isenabled()
    assert main(["check", "--no-such-flag"]) == 3
    assert gc.isenabled()


def test_only_the_command_itself_freezes_what_start_up_built(collector_on: None) -> None:
    """``mailcert`` (exits_after) hides start-up's objects from every later collection; an
    in-process caller's collector is left as it was."""
    before = gc.get_freeze_count()
    assert main(["check", "--no-such-flag"]) == 3
    assert gc.get_freeze_count() == before
    try:
        assert main(["check", "--no-such-flag"], exits_after=True) == 3
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
