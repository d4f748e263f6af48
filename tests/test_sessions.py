"""Bounded sessions: API calls over plain HTTP leave no session behind them, pages keep theirs."""

import datetime

import gradio as gr
import httpx
import pytest

from bench.gradio_http import PageSession, call_api
from sslmodel.app.sessions import BoundedSessions, TrackedSession, bound_sessions


def counter_demo() -> gr.Blocks:
    """A page with a State (a click counter) and an API endpoint that stores nothing."""
    with gr.Blocks() as demo:
        count = gr.State(0)
        shown = gr.Textbox(elem_id="shown")
        gr.Button(elem_id="bump").click(lambda c: (c + 1, str(c + 1)), count, [count, shown], api_visibility="private")
        text = gr.Textbox(visible=False)
        gr.Button(visible=False).click(lambda t: t.upper(), text, text, api_name="upper")
    return demo


def state_id(demo: gr.Blocks) -> int:
    return next(key for key, block in demo.blocks.items() if isinstance(block, gr.State))


def test_sessions_that_stored_nothing_are_bounded_and_the_others_kept():
    demo = counter_demo()
    holder, count = BoundedSessions(spare=3, capacity=2), state_id(demo)
    holder.set_blocks(demo)
    for i in range(10):
        assert isinstance(holder[f"api{i}"], TrackedSession)
    assert list(holder.session_data) == ["api7", "api8", "api9"], "the 3 most recent that stored nothing"
    for name in ("page1", "page2"):
        holder[name][count] = 5  # a State value: now it holds something a new session would not
    for i in range(10, 20):
        holder[f"api{i}"]
    assert {"page1", "page2"} <= set(holder.session_data) and len(holder.session_data) == 5
    holder["page3"][count] = 1
    holder["api20"]
    assert "page1" not in holder.session_data and {"page2", "page3"} <= set(holder.session_data), \
        "beyond capacity, the least recently used page goes"


def test_closed_pages_go_after_the_grace_open_ones_stay():
    demo = counter_demo()
    holder = BoundedSessions(spare=3, capacity=10, closed_grace=datetime.timedelta(minutes=5))
    holder.set_blocks(demo)
    for name in ("closed", "closed-just-now", "open-idle"):
        holder[name][state_id(demo)] = 1
    long_ago = datetime.datetime.now() - datetime.timedelta(minutes=30)
    holder.time_last_used["closed"] = holder.time_last_used["open-idle"] = long_ago
    holder.session_data["closed"].is_closed = holder.session_data["closed-just-now"].is_closed = True
    holder.delete_all_expired_state()
    assert set(holder.session_data) == {"closed-just-now", "open-idle"}


@pytest.mark.slow
def test_a_served_page_keeps_its_state_through_many_api_calls():
    demo = counter_demo()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    try:
        holder = bound_sessions(demo, BoundedSessions(spare=4, capacity=50))
        with httpx.Client(timeout=60) as http:
            page = PageSession(http, url)
            for _ in range(2):
                page.trigger("click", "bump")
            for i in range(40):
                assert call_api(http, url, "upper", [f"call {i}"]) == [f"CALL {i}"]
            page.trigger("click", "bump")
            assert page.values[page.component("shown")] == "3", "the page's State survived 40 API sessions"
        assert len(holder.session_data) <= 4 + 1, "every API call opened a session; only `spare` of them remain"
    finally:
        demo.close()
