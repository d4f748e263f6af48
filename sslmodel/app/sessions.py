"""Gradio's per-session store, bounded for a server that runs for weeks.

Gradio opens a session for every request that comes without one: every plain-HTTP API call and every new API
client. A session copies the config of every block of the page (about 175 KB for this page, measured with
tracemalloc) and Gradio keeps sessions until 10,000 exist, so an API served for a while grows by about 1.75 GB.
Most of those sessions never store anything. A session that holds no `gr.State` value and no component update is
rebuilt identical on its next request, so dropping it loses nothing: `BoundedSessions` keeps at most `spare` of
them. Sessions that do hold something (a page's current image, its last results) are dropped when their page has
been closed for longer than Gradio's grace for a reconnect (an hour), or, beyond `capacity`, least recently used
first; a page left open and idle keeps its session.
"""

from __future__ import annotations

import datetime
import signal
import sys
from typing import Any

import gradio as gr
from gradio.state_holder import SessionState, StateHolder

SPARE_SESSIONS = 64  # sessions that stored nothing (API calls), kept for reuse: about 11 MB
PAGE_SESSIONS = 1000  # sessions that stored something (pages), at most: about 200 MB at 175 KB and their values
CLOSED_GRACE = datetime.timedelta(hours=1)  # Gradio's STATE_TTL_WHEN_CLOSED: a closed page may reconnect


class TrackedSession(SessionState):
    """A Gradio session that remembers whether anything was ever stored in it."""

    def __init__(self, blocks: gr.Blocks):
        super().__init__(blocks)
        self.stored = False

    def __setitem__(self, key: int, value: Any) -> None:
        self.stored = True  # a State value or a component's update: this session now differs from a new one
        super().__setitem__(key, value)


class BoundedSessions(StateHolder):
    """Gradio's `StateHolder`, keeping `spare` sessions that stored nothing and `capacity` that did."""

    def __init__(self, spare: int = SPARE_SESSIONS, capacity: int = PAGE_SESSIONS,
                 closed_grace: datetime.timedelta = CLOSED_GRACE):
        super().__init__()
        self.spare, self.page_capacity, self.closed_grace = spare, capacity, closed_grace

    def set_blocks(self, blocks: gr.Blocks) -> None:
        super().set_blocks(blocks)
        self.capacity = self.page_capacity + self.spare + 1  # Gradio's own eviction: never reached before ours

    def __getitem__(self, session_id: str) -> SessionState:
        if session_id not in self.session_data:
            self.session_data[session_id] = TrackedSession(self.blocks)
        return super().__getitem__(session_id)

    def update(self, session_id: str) -> None:
        super().update(session_id)  # most recently used last
        with self.lock:
            self.evict(keep=session_id)

    def evict(self, keep: str) -> None:
        """Drop, least recently used first, the sessions that stored nothing beyond `spare` and the others beyond
        `capacity`; never `keep`, the session a request is being served from (the most recent one)."""
        stored = {key: getattr(session, "stored", True) for key, session in self.session_data.items()}
        unstored = [key for key, was in stored.items() if not was]
        pages = [key for key, was in stored.items() if was]
        for key in unstored[:max(len(unstored) - self.spare, 0)] + pages[:max(len(pages) - self.page_capacity, 0)]:
            if key != keep:
                self.forget(key)

    def forget(self, session_id: str) -> None:
        self.session_data.pop(session_id, None)
        self.time_last_used.pop(session_id, None)

    def delete_all_expired_state(self) -> None:
        """Gradio calls this every second: expired State values go, and so do sessions of pages closed too long ago."""
        super().delete_all_expired_state()
        now = datetime.datetime.now()
        with self.lock:
            for key in [key for key, session in self.session_data.items() if session.is_closed
                        and now - self.time_last_used.get(key, now) > self.closed_grace]:
                self.forget(key)


def bound_sessions(demo: gr.Blocks, holder: StateHolder | None = None) -> BoundedSessions:
    """Give a launched `demo`'s server a `BoundedSessions` store (before it has served a page, so nothing is lost)."""
    holder = holder or BoundedSessions()
    demo.server_app.state_holder = holder
    holder.set_blocks(demo)
    return holder


def serve(demo: gr.Blocks, **launch_options: Any) -> None:
    """`demo.launch(**launch_options)` with bounded sessions, serving until the process is stopped. A SIGTERM
    (`docker stop`, a Space's restart) stops it as Ctrl+C does, so that its temporary files are removed."""
    demo.launch(prevent_thread_lock=True, **launch_options)
    bound_sessions(demo)
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
    demo.block_thread()
