"""The README's picture of presentation mode: the page as a 1280x720 projector shows it (`?present=1`), with the
shipped models and the built-in gallery, after a brush stroke under the opening hole.

    python bench/presentation.py                                  # writes bench/presentation.png
    python bench/presentation.py --theme dark --out /tmp/presentation-dark.png

The app runs in-process with the settings of `python app.py`; the picture is a 256-colour PNG (small, for Git).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import torch
from PIL import Image
from playwright.sync_api import sync_playwright

from sslmodel import shipped_models
from sslmodel.app import LAUNCH_OPTIONS, build_demo, make_state
from sslmodel.app.examples import from_gallery
from sslmodel.app.layout import TORCH_THREADS
from sslmodel.app.state import load_models

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 720}  # a projector's
SHOWN = """previous => {  // the composite tile shows a new picture, fully loaded
    const image = document.querySelector("#composite img");
    return image !== null && image.src !== previous && image.complete && image.naturalWidth > 0;
}"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="a model to offer (repeatable; default: the shipped ones)")
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    parser.add_argument("--out", default=str(Path(__file__).with_name("presentation.png")), help="default %(default)s")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"presentation: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    models, problems = load_models(args.model or shipped_models())
    if not models:
        print(f"error: no model loaded ({'; '.join(problems) or 'none given'})", file=sys.stderr)
        return 1
    torch.set_num_threads(TORCH_THREADS)
    demo = build_demo(make_state(models, from_gallery()))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **LAUNCH_OPTIONS)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(60_000)
            page.goto(f"{url}?present=1&__theme={args.theme}")
            page.wait_for_function(SHOWN, arg=None, polling="raf")  # the opening result
            previous = page.evaluate("() => document.querySelector('#composite img').src")
            box = page.locator("#painter canvas").bounding_box()  # a stroke under the opening hole
            unit = box["width"] / 32
            page.mouse.move(box["x"] + 4 * unit, box["y"] + 25 * unit)
            page.mouse.down()
            page.mouse.move(box["x"] + 28 * unit, box["y"] + 28 * unit, steps=25)
            page.mouse.up()
            page.wait_for_function(SHOWN, arg=previous, polling="raf")
            page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover highlight in the picture
            page.wait_for_timeout(500)
            picture = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
            browser.close()
    finally:
        demo.close()
    picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"presentation: {picture.size[0]}x{picture.size[1]} -> {args.out} ({Path(args.out).stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
