"""mailcert.memo.ByIdentity: a value is made once per set of objects, never handed to equal
but other objects, and the plain ``extra`` value tells entries apart too."""

from __future__ import annotations

from mailcert.memo import ByIdentity


def test_made_once_per_objects_and_never_for_equal_others() -> None:
    memo = ByIdentity[str](8)
    made: list[str] = []

    def make(text: str) -> str:
        made.append(text)
        return text

    findings, verdicts = [{"code": "expired"}], ("outlook", True)
    assert memo.get((findings, verdicts), lambda: make("first")) == "first"
    assert memo.get((findings, verdicts), lambda: make("second")) == "first"  # the same objects: remembered
    equal = [{"code": "expired"}]
    assert memo.get((equal, verdicts), lambda: make("equal")) == "equal"  # equal, not the same: made again
    assert memo.get((findings, verdicts), lambda: make("other store"), "another label") == "other store"
    assert made == ["first", "equal", "other store"]


def test_objects_stay_theirs_while_remembered() -> None:
    """An entry keeps its objects alive, so a new object never takes an old one's id and value."""
    memo = ByIdentity[int](4)
    for n in range(50):
        # each list dies at once in the caller; a reused id would hand back an older n
        assert memo.get(([n],), lambda n=n: n) == n  # type: ignore[misc]


def test_values_it_may_not_keep_are_made_each_time() -> None:
    memo = ByIdentity[str](8, keep=lambda text: len(text) <= 4)
    made: list[str] = []

    def make(text: str) -> str:
        made.append(text)
        return text

    small, big = object(), object()
    assert [memo.get((small,), lambda: make("tiny")) for _ in range(2)] == ["tiny", "tiny"]
    assert [memo.get((big,), lambda: make("megabytes")) for _ in range(2)] == ["megabytes", "megabytes"]
    assert made == ["tiny", "megabytes", "megabytes"]
