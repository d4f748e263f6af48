"""How fast the page answers a person, measured in a real browser (Debian's Chromium through Playwright):
from a click on "Random mask", a click on a gallery example, the end of a brush stroke and its undo (Ctrl+Z),
until the new composite is on screen (its picture changed and finished loading); and from a click on a gallery
example until the "What did it learn?" panels show its look-alikes (they come in an event after the results).
p50 and p95 over --actions of each.

    python bench/ui_latency.py                      # the shipped models, the built-in gallery, 24 actions each
    python bench/ui_latency.py --against /tmp/before            # side by side with another checkout's page
    python bench/ui_latency.py --actions 1 --warm-up 1           # a quick check that it runs

Each page is served by `python app.py` in a process of its own, offline. With --against (a working tree of another
commit, e.g. `git worktree add /tmp/before a2ec117`), both pages run in the same browser, in turns of --turn
actions of a kind, so that both see the same host at the same time: the ratio of their p50s is the figure to
compare, not p50s measured at other times (a shared 2-core host drifts by a third within an hour). Within a turn
the actions follow each other as fast as the page answers, as a person clicking quickly; between turns the page
and servers rest for a second, so that one page's late events never land in the other's timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser, Page, TimeoutError, sync_playwright

from browser_app import CHROMIUM, CHROMIUM_ARGS, SHOWN, open_page
from soak import ROOT, start_server

VIEWPORT = {"width": 1440, "height": 900}
REST_MS = 1000  # between turns
COMPOSITE = "#composite img"


def composite_src(page) -> str | None:
    return page.evaluate(f"() => document.querySelector({COMPOSITE!r})?.src ?? null")


def timed(page, act, timeout_ms: float = 60_000) -> float:
    """Seconds from `act()` (a click, or the release of a stroke) until a new composite is displayed."""
    previous = composite_src(page)
    start = time.perf_counter()
    act()
    page.wait_for_function(SHOWN, arg=previous, polling="raf", timeout=timeout_ms)
    return time.perf_counter() - start


def random_mask(page, i: int) -> float:
    page.locator("#seed input").fill(str(1000 + i))  # a new seed: a new mask, so a new composite
    return timed(page, lambda: page.get_by_role("button", name="Random mask").click())


def gallery_click(page, i: int) -> float:
    # never the first item as the first pick: the page opens on it, so picking it changes nothing on screen
    return timed(page, lambda: page.locator("#examples .gallery-item").nth((i + 1) % 30).click())


def brush_stroke(page, i: int) -> float | None:
    """None when no new composite came within 8 s: the stroke was lost (the table's "strokes lost" counts them)."""
    try:  # untimed: start from an empty hole, so that every stroke adds one (already empty: nothing changes)
        timed(page, lambda: page.get_by_role("button", name="Clear mask").click(), timeout_ms=5_000)
    except TimeoutError:
        pass
    box = page.locator("#painter canvas").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + 16 * (i % 6 - 3)
    page.mouse.move(x - 80, y)
    page.mouse.down()
    page.mouse.move(x + 80, y, steps=20)
    try:
        return timed(page, page.mouse.up, timeout_ms=8_000)
    except TimeoutError:
        return None


def undo(page, i: int) -> float | None:
    """A brush stroke as above (untimed), then Ctrl+Z: seconds until the composite before the stroke is back on
    screen. The undo answers as a stroke does (one request). None when the stroke itself was lost."""
    if brush_stroke(page, i) is None:
        return None
    return timed(page, lambda: page.keyboard.press("Control+z"))


LOOKALIKES = """previous => {  // the feature look-alikes are new pictures (loaded lazily: they are below the fold)
    const images = [...document.querySelectorAll("#neighbours-features img")];
    return images.length > 0 && images.map(image => image.src).join() !== previous;
}"""


def panels_after_pick(page, i: int) -> float:
    """Seconds from a click on a gallery example until the page holds its look-alikes (and the maps, in the same
    answer): the answer rendered, not the thumbnails decoded (the browser loads them once they are scrolled to)."""
    previous = page.evaluate("() => [...document.querySelectorAll('#neighbours-features img')].map(i => i.src).join()")
    start = time.perf_counter()
    page.locator("#examples .gallery-item").nth((i + 7) % 30).click()
    page.wait_for_function(LOOKALIKES, arg=previous, polling="raf", timeout=60_000)
    return time.perf_counter() - start


ACTIONS = {"random mask": random_mask, "gallery example": gallery_click, "brush stroke": brush_stroke, "undo": undo,
           "gallery example, to the look-alikes": panels_after_pick}


def percentiles(seconds: list[float]) -> dict[str, float]:
    milliseconds = 1000 * np.asarray(seconds)
    return {"actions": len(seconds), "p50_ms": float(np.percentile(milliseconds, 50)),
            "p95_ms": float(np.percentile(milliseconds, 95))}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[],
                        help="an extra model for app.py to offer (repeatable), on every page")
    parser.add_argument("--against", metavar="CHECKOUT", help="another working tree whose page to time beside")
    parser.add_argument("--actions", type=int, default=24, help="timed actions of each kind (default %(default)s)")
    parser.add_argument("--turn", type=int, default=4, help="actions per turn with --against (default %(default)s)")
    parser.add_argument("--warm-up", type=int, default=3, help="untimed actions of each kind first")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return parser.parse_args(argv)


def boxes_page(browser: Browser, url: str) -> Page:
    """A page of its own on `url` (browser_app.open_page), drawing "boxes" (every seed draws another mask; a centre
    square never moves)."""
    page = open_page(browser, url, VIEWPORT)
    page.locator("#family input").click()
    page.get_by_role("option", name="boxes").click()
    return page


def time_actions(pages: dict[str, Page], args: argparse.Namespace) -> dict[str, dict[str, dict]]:
    """{page: {action: percentiles and strokes lost}}: every kind of action in turn, on every page by turns."""
    figures = {name: {} for name in pages}
    turn = args.turn if len(pages) > 1 else args.actions
    for action, act in ACTIONS.items():
        seconds, lost = {name: [] for name in pages}, {name: 0 for name in pages}
        for page in pages.values():
            for i in range(args.warm_up):
                act(page, 100 + i)
        for first in range(0, args.actions, turn):
            order = list(pages) if first // turn % 2 == 0 else list(pages)[::-1]  # who goes first alternates
            for name in order:
                pages[name].bring_to_front()
                pages[name].wait_for_timeout(REST_MS if len(pages) > 1 else 0)
                for i in range(first, min(first + turn, args.actions)):
                    result = act(pages[name], i)
                    if result is None:
                        lost[name] += 1
                    else:
                        seconds[name].append(result)
        for name in pages:
            figures[name][action] = percentiles(seconds[name]) | {"dropped": lost[name]}
    return figures


def print_table(figures: dict[str, dict[str, dict]]) -> None:
    names = list(figures)
    print("| action | " + " | ".join(f"{name}: p50 (ms) | p95 (ms) | lost" for name in names)
          + (" | p50 ratio |" if len(names) > 1 else " |"))
    print("|---|" + "---:|---:|---:|" * len(names) + ("---:|" if len(names) > 1 else ""))
    for action in ACTIONS:
        rows = [figures[name][action] for name in names]
        cells = " | ".join(f"{row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['dropped']}" for row in rows)
        ratio = f" | {rows[0]['p50_ms'] / rows[1]['p50_ms']:.2f}x |" if len(rows) > 1 else " |"
        print(f"| {action} | {cells}{ratio}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"error: {CHROMIUM} is missing (apt-get install chromium)")
    checkouts = {"this checkout": ROOT} | ({"other checkout": Path(args.against).resolve()} if args.against else {})
    options = [option for model in args.model for option in ("--model", str(Path(model).resolve()))]
    with ExitStack() as stack:
        urls = {}
        for name, checkout in checkouts.items():
            temp_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sslmodel-ui-")))
            server, urls[name] = start_server(False, temp_dir, checkout, options)
            stack.callback(server.wait, timeout=30)
            stack.callback(server.terminate)
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        figures = time_actions({name: boxes_page(browser, url) for name, url in urls.items()}, args)

    if args.against:
        print(f"other checkout: {checkouts['other checkout']}")
    print("From the action to the new composite (or look-alikes) on screen, Chromium, `python app.py`\n")
    print_table(figures)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"other checkout": args.against, "pages": figures}, indent=2) + "\n",
                                   encoding="utf-8")
    for name, rows in figures.items():
        print(f"ui_latency ({name}): " + "; ".join(f"{action} p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms"
                                                  for action, row in rows.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
