"""Work that can wait runs in the server's pauses.

A person waits for the results of an action (the tiles, a pick's look-alikes); what the page works out after them
(where the model looked, whether the fill brings the class back) can wait a moment. On a 2-vCPU Space that moment
matters: a quick next action (an undo right after a stroke) would otherwise share the CPU with the previous
results' maps. `Activity` counts the events a person waits for while they run; work that can wait first waits
until none has run for `pause` seconds (and waits at most `limit`, so that a busy server still gets to it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

PAUSE = 0.2  # seconds without an event a person waits for: a quick next action has reached the server by then
LIMIT = 2.0  # seconds: on a server that never pauses, the work that waited runs anyway


class Activity:
    """When the server last ran an event a person waits for, and how many run now."""

    def __init__(self, pause: float = PAUSE, limit: float = LIMIT):
        self.pause, self.limit = pause, limit
        self._changed = threading.Condition()
        self._running = 0
        self._last_end = float("-inf")

    @contextmanager
    def waited_for(self) -> Iterator[None]:
        """Around an event a person waits for."""
        with self._changed:
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._last_end = time.monotonic()
                self._changed.notify_all()

    def wait_for_pause(self) -> float:
        """Block until no such event has run for `pause` seconds, or for `limit` seconds at most; the seconds
        waited."""
        started = time.monotonic()
        with self._changed:
            while True:
                now = time.monotonic()
                left = started + self.limit - now
                quiet = self.pause - (now - self._last_end)  # seconds until the pause is long enough
                if left <= 0 or (self._running == 0 and quiet <= 0):
                    return now - started
                self._changed.wait(min(left, quiet) if self._running == 0 else left)
