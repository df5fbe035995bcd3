"""Values read from certificates, remembered by the objects' identity first, their equality second.

cryptography hashes a ``Certificate`` by walking its parsed fields (about 5 µs in 50.0) and
compares two the same way, so a ``functools.lru_cache`` keyed by certificates spends more on
its key than some of the values it keeps cost to read: a judgement of one new chain looks up
the same few certificate objects dozens of times (each validator set-up, each step, the facts).
:func:`per_object` answers those from a dict keyed by ``id()`` in a fraction of a microsecond,
and falls back to the ``lru_cache`` (equality) for an object it has not seen: a certificate
parsed again (a scan's next handshake with the same intermediate) is still found.

Exact: an entry keeps its arguments alive, so an id in the identity dict is never another
object's; the value is the function's for arguments equal to them (the ``lru_cache``'s).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar, overload

__all__ = ["per_object", "ByIdentity", "cached_value"]

R = TypeVar("R")


class _PerObject(Generic[R]):
    """``fn`` remembered per arguments: by identity, then by equality (see the module)."""

    def __init__(self, fn: Callable[..., R], maxsize: int, equality: bool) -> None:
        self.by_value = functools.lru_cache(maxsize=maxsize)(fn) if equality else fn
        self.maxsize = maxsize
        self.seen: dict[object, tuple[tuple[Any, ...], R]] = {}
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> R:
        key = id(args[0]) if len(args) == 1 else tuple(map(id, args))
        hit = self.seen.get(key)
        if hit is not None:
            return hit[1]
        value = self.by_value(*args)
        if len(self.seen) >= self.maxsize:
            self.seen.clear()
        self.seen[key] = (args, value)  # the arguments kept alive: their ids stay theirs
        return value

    def cache_clear(self) -> None:
        self.seen.clear()
        if isinstance(self.by_value, functools._lru_cache_wrapper):
            self.by_value.cache_clear()


def per_object(maxsize: int = 4096, *, equality: bool = True) -> Callable[[Callable[..., R]], _PerObject[R]]:
    """Remember a pure function of hashable objects (certificates, stores) per its positional
    arguments, by identity first and equality second; at most ``maxsize`` entries of each.
    ``equality`` False: by identity alone, for a value that costs less to read again than to
    hash a certificate (a new object is read anew)."""

    def wrap(fn: Callable[..., R]) -> _PerObject[R]:
        return _PerObject(fn, maxsize, equality)

    return wrap


class ByIdentity(Generic[R]):
    """Values made from objects that do not hash (verdicts, findings) or hash at a cost,
    remembered by those very objects: a fleet scan's results share the objects of one
    remembered judgement (:mod:`mailcert.doctor`), so what is made from them (a JSON text) is
    made once.  An object equal but not identical is a miss, never a wrong hit: an entry keeps
    its objects alive, so their ids are theirs while it stays.  At most ``maxsize`` entries
    (all dropped when full: a scan meets few judgements), only values ``keep`` accepts (a
    hostile certificate's megabytes of text are made again rather than kept); thread-safe."""

    def __init__(self, maxsize: int = 256, keep: Callable[[R], bool] = lambda _: True) -> None:
        self.maxsize = maxsize
        self.keep = keep
        self._lock = threading.Lock()
        self._seen: dict[Hashable, tuple[tuple[object, ...], R]] = {}

    def get(self, objects: tuple[object, ...], make: Callable[[], R], extra: Hashable = None) -> R:
        """The value for ``objects`` (and the plain value ``extra``), ``make()`` the first time."""
        key = (*map(id, objects), extra)
        with self._lock:
            hit = self._seen.get(key)
        if hit is not None:
            return hit[1]
        value = make()
        if not self.keep(value):
            return value
        with self._lock:
            if len(self._seen) >= self.maxsize:
                self._seen.clear()
            self._seen[key] = (objects, value)
        return value


class cached_value(Generic[R]):  # noqa: N801 - named like the functools.cached_property it stands for
    """``functools.cached_property`` without its lock: computed at the first read, then kept in
    the instance's ``__dict__`` (where later reads find it without calling this descriptor).

    Python 3.11's cached_property takes a lock at every first read (2-3 µs), and a new
    certificate's names are read through a dozen such values.  For pure values of frozen
    objects: two threads reading at once compute the same value twice, harmlessly.
    """

    def __init__(self, fn: Callable[[Any], R]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> cached_value[R]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> R: ...

    def __get__(self, obj: object, owner: type | None = None) -> R | cached_value[R]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value
