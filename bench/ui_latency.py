"""How fast the page answers a person, measured in a real browser (Debian's Chromium through Playwright):
from a click on "Random mask", a click on a gallery example, the end of a brush stroke and its undo (Ctrl+Z),
until the new composite is on screen (its picture changed and finished loading); and from a click on a gallery
example until the "What did it learn?" panels show its look-alikes (they come in an event after the results).
p50 and p95 over --actions of each.

    python bench/ui_latency.py                      # the shipped models, the built-in gallery, 24 actions each
    python bench/ui_latency.py --model runs/default --actions 40
    python bench/ui_latency.py --actions 1 --warm-up 1           # a quick check that it runs

The app runs in-process with the settings of `python app.py` (queue, one torch thread per request).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import TimeoutError

from browser_app import SHOWN, served_page

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
    return timed(page, lambda: page.locator("#examples .gallery-item").nth(i % 30).click())


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
    parser.add_argument("--model", action="append", help="a model to offer (repeatable; default: the shipped ones)")
    parser.add_argument("--actions", type=int, default=24, help="timed actions of each kind (default %(default)s)")
    parser.add_argument("--warm-up", type=int, default=3, help="untimed actions of each kind first")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = {}
    with served_page(args.model, {"width": 1440, "height": 900}, look_alikes=True) as (page, models):
        page.locator("#family input").click()  # boxes: every seed draws another mask (a centre square never moves)
        page.get_by_role("option", name="boxes").click()
        for name, act in ACTIONS.items():
            for i in range(args.warm_up):
                act(page, 100 + i)
            seconds, lost = [], 0
            for i in range(args.actions * 3):  # at most two retries per action, for dropped strokes
                if len(seconds) == args.actions:
                    break
                result = act(page, i)
                if result is None:
                    lost += 1
                else:
                    seconds.append(result)
            figures[name] = percentiles(seconds) | {"dropped": lost}

    print(f"From the action to the new composite (or look-alikes) on screen, Chromium, models {', '.join(models)}\n")
    print("| action | actions | p50 (ms) | p95 (ms) | strokes lost |")
    print("|---|---:|---:|---:|---:|")
    for name, row in figures.items():
        print(f"| {name} | {row['actions']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['dropped']} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"models": list(models), **figures}, indent=2) + "\n", encoding="utf-8")
    print("ui_latency: " + "; ".join(f"{name} p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms"
                                     for name, row in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
