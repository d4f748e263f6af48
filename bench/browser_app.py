"""The browser benchmarks' shared start: the app in-process with `python app.py`'s settings and the shipped models
(or others), and Debian's Chromium through Playwright on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from playwright.sync_api import Browser, Page, sync_playwright

from sslmodel import shipped_models
from sslmodel.app import LAUNCH_OPTIONS, build_demo, make_state
from sslmodel.app.examples import from_gallery
from sslmodel.app.layout import TORCH_THREADS
from sslmodel.app.learned import load_reference
from sslmodel.app.state import load_models

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SHOWN = """previous => {  // the composite tile shows a new picture, fully loaded
    const image = document.querySelector("#composite img");
    return image !== null && image.src !== previous && image.complete && image.naturalWidth > 0;
}"""


def open_page(browser: Browser, url: str, viewport: dict) -> Page:
    """A page of its own (a separate browser context) on `url`, once its opening result is on screen."""
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_function(SHOWN, arg=None, polling="raf")
    return page


@contextmanager
def served_page(model_names: list[str] | None, viewport: dict, address: str = "", look_alikes: bool = False
                ) -> Iterator[tuple[Page, list[str]]]:
    """(a Chromium page on the app at `address` (a query such as "?present=1"), once its opening result is on
    screen; the models offered). SystemExit with one line when Chromium or every model is missing."""
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"error: {CHROMIUM} is missing (apt-get install chromium)")
    models, problems = load_models(model_names or shipped_models())
    if not models:
        raise SystemExit(f"error: no model loaded ({'; '.join(problems) or 'none given'})")
    threads = torch.get_num_threads()
    torch.set_num_threads(TORCH_THREADS)
    demo = build_demo(make_state(models, from_gallery(), reference=load_reference() if look_alikes else None))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **LAUNCH_OPTIONS)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield open_page(browser, url + address, viewport), list(models)
            browser.close()
    finally:
        demo.close()
        torch.set_num_threads(threads)
