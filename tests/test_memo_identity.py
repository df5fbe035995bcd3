"""mailcert.memo.ByIdentity: a value is made once per set of objects, never handed to equal
but other objects, and the plain ``extra`` value tells entries apart too."""

from __future__ import annotations

from dataclasses import dataclass

from mailcert.memo import ByIdentity, cached_value


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


def test_a_cached_value_is_computed_once_per_instance_and_kept_on_it() -> None:
    made: list[int] = []

    @dataclass(frozen=True)
    class Value:
        n: int

        @cached_value
        def double(self) -> int:
            made.append(self.n)
            return 2 * self.n

    one, two = Value(1), Value(2)
    assert [one.double, one.double, two.double, Value(1).double] == [2, 2, 4, 2]
    assert made == [1, 2, 1] and one.__dict__["double"] == 2  # kept on the instance, per instance
    assert isinstance(Value.__dict__["double"], cached_value) and Value(1) == one  # equality by the fields alone
