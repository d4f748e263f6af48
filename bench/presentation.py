"""The README's picture of presentation mode: the page as a 1280x720 projector shows it (`?present=1`), with the
shipped models and the built-in gallery, after a brush stroke under the opening hole.

    python bench/presentation.py                     # writes bench/results/presentation/presentation.png
    python bench/presentation.py --theme dark --out /tmp/presentation-dark.png

The app runs in-process with the settings of `python app.py`; the picture is a 256-colour PNG (small, for Git).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image

from browser_app import SHOWN, served_page

VIEWPORT = {"width": 1280, "height": 720}  # a projector's
OUT = Path(__file__).resolve().parent / "results" / "presentation" / "presentation.png"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="a model to offer (repeatable; default: the shipped ones)")
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    parser.add_argument("--out", default=str(OUT), help="default %(default)s")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with served_page(args.model, VIEWPORT, f"?present=1&__theme={args.theme}") as (page, _):
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
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"presentation: {picture.size[0]}x{picture.size[1]} -> {args.out} ({Path(args.out).stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
