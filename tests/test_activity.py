"""Work that can wait runs in the server's pauses (sslmodel/app/activity.py)."""

from __future__ import annotations

import threading
import time

from sslmodel.app.activity import Activity


def waiter(activity: Activity) -> tuple[threading.Thread, list[float]]:
    waited: list[float] = []
    thread = threading.Thread(target=lambda: waited.append(activity.wait_for_pause()), daemon=True)
    thread.start()
    return thread, waited


def test_nothing_ran_yet_so_nothing_waits():
    assert Activity(pause=60, limit=60).wait_for_pause() < 1


def test_work_that_can_wait_waits_until_the_event_people_wait_for_ends():
    activity, release, started = Activity(pause=0, limit=600), threading.Event(), threading.Event()

    def waited_for():
        with activity.waited_for():
            started.set()
            release.wait()
    event = threading.Thread(target=waited_for, daemon=True)
    event.start()
    started.wait(5)
    thread, waited = waiter(activity)
    thread.join(0.3)
    assert thread.is_alive(), "it runs while an event a person waits for runs"
    release.set()
    thread.join(10)
    assert not thread.is_alive() and waited


def test_it_waits_for_a_pause_after_the_last_event():
    activity = Activity(pause=0.3, limit=600)
    with activity.waited_for():
        pass
    ended = time.monotonic()
    activity.wait_for_pause()
    assert time.monotonic() - ended >= 0.3


def test_a_server_that_never_pauses_still_gets_to_it():
    activity = Activity(pause=0, limit=0.1)
    with activity.waited_for():  # an event that never ends while the work waits
        thread, waited = waiter(activity)
        thread.join(10)
        assert not thread.is_alive() and waited[0] >= 0.1
