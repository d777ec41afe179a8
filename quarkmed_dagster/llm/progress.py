"""Live model-call progress for consoles: a gateway reports (its stage, live calls done,
live calls to make) as calls finish, and a console listening in the same process shows it
(the main job runs its Dagster steps in-process). Cached calls are not counted: they are
instant. Calls sharded to worker processes report when their shard returns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[str, int, int], None]
_listeners: list[Listener] = []


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call ``listener(stage, done, total)`` for every gateway of this process meanwhile."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def report(stage: str, done: int, total: int) -> None:
    for listener in list(_listeners):
        listener(stage, done, total)
