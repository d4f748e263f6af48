"""The Gradio page, in three layers: `state` (loaded once), `handlers` (plain functions of the state and the
inputs) and `layout` (components and wiring). The only part of sslmodel that imports gradio."""

from .layout import LAUNCH_OPTIONS, build_demo
from .state import AppState, load_state, make_state

__all__ = ["LAUNCH_OPTIONS", "AppState", "build_demo", "load_state", "make_state"]
