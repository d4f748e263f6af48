"""Where did it look? The cost of one influence map per shipped model (one thread, as the page's requests run),
and the README's picture: the tutorial's and the default's maps side by side for the same holes.

    python bench/influence.py                  # 50 maps per model, the picture in bench/results/influence/
    python bench/influence.py --repeats 200

Images are gallery images (validation, never trained on) with a centre 16x16 hole; each map is for the pixel
4 pixels inside the hole's edge, and for the whole hole. Prints p50 / p95 milliseconds and the share of influence
from further than 8 pixels, per model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sslmodel import Inpainter, shipped_models  # noqa: E402
from sslmodel.app.compare import upscale  # noqa: E402
from sslmodel.app.examples import from_gallery  # noqa: E402
from sslmodel.app.hole_maps import masked_view  # noqa: E402
from sslmodel.app.influence_view import influence_picture, reach  # noqa: E402
from sslmodel.influence import FAR, influence  # noqa: E402

OUT = ROOT / "bench" / "results" / "influence"
PIXEL = (12, 12)  # inside the centre hole (rows and columns 8 to 23), 4 pixels from its edge
SHOWN = ("tutorial", "default")  # the picture's models, left to right


def centre_hole() -> np.ndarray:
    holes = np.zeros((32, 32), bool)
    holes[8:24, 8:24] = True
    return holes


def timings(inpainter: Inpainter, images: list[np.ndarray], holes: np.ndarray, repeats: int) -> list[float]:
    influence(inpainter.model, images[0], holes, PIXEL)  # warm-up
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        influence(inpainter.model, images[i % len(images)], holes, PIXEL if i % 2 else None)
        times.append(time.perf_counter() - start)
    return times


def picture(models: dict[str, Inpainter], images: list[np.ndarray], holes: np.ndarray, scale: int = 6) -> Image.Image:
    """Rows: images; columns: masked input, then each model's composite and its maps for the pixel and the hole."""
    columns = ["masked input"] + [f"{name}: {what}" for name in models for what in ("fill", "pixel", "whole hole")]
    side, gap, top = 32 * scale, 6, 28
    sheet = Image.new("RGB", (len(columns) * (side + gap), top + len(images) * (side + gap + 16)), "white")
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default(size=13)
    for c, title in enumerate(columns):
        draw.text((c * (side + gap) + side // 2, 8), title, fill=(30, 30, 30), font=font, anchor="ma")
    for r, image in enumerate(images):
        y = top + r * (side + gap + 16)
        tiles = [(masked_view(image, holes), "")]
        for inpainter in models.values():
            pixel_map, hole_map = (influence(inpainter.model, image, holes, target) for target in (PIXEL, None))
            tiles += [(inpainter.inpaint(image, holes), ""),
                      (influence_picture(pixel_map, holes), reach(pixel_map)),
                      (influence_picture(hole_map, holes), reach(hole_map))]
        for c, (tile, note) in enumerate(tiles):
            sheet.paste(Image.fromarray(upscale(tile, scale)), (c * (side + gap), y))
            draw.text((c * (side + gap) + side // 2, y + side + 2), note, fill=(90, 90, 90), font=font, anchor="ma")
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=50, help="maps timed per model")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for influence.json and influence.png")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the page runs a request
    gallery = from_gallery()
    images = [gallery.load(i) for i in gallery.gallery_indices(1)]  # one image per class
    holes = centre_hole()
    models = {name: Inpainter.from_pretrained(name) for name in shipped_models()}
    figures = {}
    for name, inpainter in models.items():
        ms = 1000 * np.asarray(timings(inpainter, images, holes, args.repeats))
        shares = [influence(inpainter.model, image, holes, PIXEL).far_share for image in images]
        reached = [share for share in shares if share is not None]  # None: no known pixel within its reach
        figures[name] = {"p50_ms": float(np.median(ms)), "p95_ms": float(np.percentile(ms, 95)),
                         "far_share_pixel": float(np.mean(reached)) if reached else None,
                         "images_with_no_known_pixel_in_reach": len(shares) - len(reached)}
        far = "none in reach" if not reached else f"{figures[name]['far_share_pixel']:.0%}"
        print(f"{name:>10}: p50 {figures[name]['p50_ms']:6.1f} ms  p95 {figures[name]['p95_ms']:6.1f} ms  "
              f"influence from > {FAR:.0f} px on pixel {PIXEL}: {far}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "influence.json").write_text(json.dumps(figures, indent=2) + "\n")
    shown = {name: models[name] for name in SHOWN if name in models}
    picture(shown, images[:4], holes).save(args.out / "influence.png", optimize=True)
    slowest = max(figures.values(), key=lambda f: f["p50_ms"])["p50_ms"]
    print(f"influence: slowest model p50 {slowest:.1f} ms per map on one thread (target 100 ms); picture in "
          f"{args.out / 'influence.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
