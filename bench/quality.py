"""Inpainting quality per hole family on the validation split: classical fills against the trained models.

    python bench/quality.py                                   # all 5,000 validation images, every shipped model
    python bench/quality.py --images 2000 --model runs/default --json /tmp/quality.json

Every method is scored by sslmodel.evaluate.evaluate_fill on the same fixed holes: hole PSNR, and SSIM of the composite
(the known pixels plus the filled hole) in [0, 1]. A subset (--images) is spread evenly over the split, as the
trainer's per-epoch validation is, so --images 2000 scores the very images and holes of the training log.
The margin is that of the first model, the shipped default when there is one, over the better OpenCV method.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont

from sslmodel import BundleError, load_bundle, shipped_models
from sslmodel.classical import CLASSICAL_METHODS, classical_fill
from sslmodel.convert import float_to_nhwc, nhwc_to_float, to_float
from sslmodel.data import DataError, load_dataset
from sslmodel.evaluate import Fill, evaluate_fill, reconstruct
from sslmodel.holes import EVAL_FAMILIES, FAMILY_LABELS, fixed_holes
from sslmodel.metrics import composite
from sslmodel.models import hide
from sslmodel.plots import image_grid

METHOD_LABELS = {"mean": "mean fill", "telea": "OpenCV Telea", "ns": "OpenCV NS"}
OPENCV_METHODS = ("telea", "ns")
GRID_SCALE = 4  # nearest-neighbour upscaling of the grid's 32x32 tiles, so they read in a README
GRID_GAP = 2


def classical_method(method: str) -> Fill:
    """A classical method as a fill function on float images, so that it is scored exactly like a network."""
    def fill(images: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
        # The images came from uint8, so rounding gives back the exact bytes. The hole is zeroed first because
        # cv2.inpaint reads the pixels under a hole that touches the image border: no method may see the answer.
        known = float_to_nhwc(hide(images, holes))  # (N, H, W, 3)
        return nhwc_to_float(classical_fill(known, holes.cpu().numpy(), method))
    return fill


def load_methods(models: list[str]) -> dict[str, Fill]:
    """The classical methods, then each model bundle (a shipped name or a folder), by display name."""
    methods = {METHOD_LABELS[m]: classical_method(m) for m in CLASSICAL_METHODS}
    for name in models:
        methods[name] = partial(reconstruct, load_bundle(name)[0])
    return methods


def validation_images(data: str, limit: int | None) -> torch.Tensor:
    """uint8 (N, 3, 32, 32): the validation split, or `limit` images spread evenly over it."""
    images = load_dataset(data).val.images
    if limit is not None and limit < len(images):
        images = images[torch.linspace(0, len(images) - 1, limit).long()]
    return images


def markdown_table(results: dict[str, dict], key: str, digits: int) -> str:
    rows = ["| method | " + " | ".join(FAMILY_LABELS[f] for f in EVAL_FAMILIES) + " |",
            "|---|" + "---:|" * len(EVAL_FAMILIES)]
    rows += [f"| {name} | " + " | ".join(f"{scores[f][key]:.{digits}f}" for f in EVAL_FAMILIES) + " |"
             for name, scores in results.items()]
    return "\n".join(rows)


def margins(results: dict[str, dict], reference: str) -> dict[str, dict]:
    """Per family: the better OpenCV method, its hole PSNR, and the reference model's margin over it (dB)."""
    out = {}
    for family in EVAL_FAMILIES:
        best = max((METHOD_LABELS[m] for m in OPENCV_METHODS), key=lambda name: results[name][family]["hole_psnr"])
        best_psnr = results[best][family]["hole_psnr"]
        out[family] = {"best_opencv": best, "best_opencv_hole_psnr": best_psnr,
                       "margin": results[reference][family]["hole_psnr"] - best_psnr}
    return out


def grid_picture(images_uint8: torch.Tensor, holes: dict[str, torch.Tensor], methods: dict[str, Fill],
                 per_family: int) -> Image.Image:
    """Columns: `per_family` images per hole family, with their benchmark holes. Rows: original, masked, each method."""
    columns = len(EVAL_FAMILIES) * per_family
    index = torch.linspace(0, len(images_uint8) - 1, columns).long()  # spread over the split, so over the classes
    families = [f for f in EVAL_FAMILIES for _ in range(per_family)]
    hole = torch.stack([holes[family][i] for family, i in zip(families, index)])  # (C, H, W)
    images = to_float(images_uint8[index])
    rows = [images, hide(images, hole)]
    rows += [composite(images, fill(images, hole), hole) for fill in methods.values()]
    tiles = image_grid(rows, scale=GRID_SCALE, gap=GRID_GAP)

    font = ImageFont.load_default(size=14)
    row_labels = ["original", "masked", *methods]
    left = 12 + int(max(ImageDraw.Draw(tiles).textlength(label, font=font) for label in row_labels))
    top, step = 24, images.shape[-1] * GRID_SCALE + GRID_GAP
    canvas = Image.new("RGB", (tiles.width + left, tiles.height + top), "white")
    canvas.paste(tiles, (left, top))
    draw = ImageDraw.Draw(canvas)
    for r, label in enumerate(row_labels):
        draw.text((4, top + r * step + step // 2), label, fill="black", font=font, anchor="lm")
    for c, family in enumerate(families):
        draw.text((left + c * step + step // 2, top // 2), FAMILY_LABELS[family], fill="black", font=font, anchor="mm")
    return canvas


def summary(results: dict[str, dict], reference: str | None, margin: dict | None, count: int) -> str:
    if reference is None:
        best = "  ".join(f"{f} {max(results[METHOD_LABELS[m]][f]['hole_psnr'] for m in OPENCV_METHODS):.2f}"
                         for f in EVAL_FAMILIES)
        return f"quality: no model evaluated; best OpenCV hole PSNR (dB) {best}, on {count} images"
    worst = min(EVAL_FAMILIES, key=lambda f: margin[f]["margin"])
    best = max(EVAL_FAMILIES, key=lambda f: margin[f]["margin"])
    losing = sum(margin[f]["margin"] <= 0 for f in EVAL_FAMILIES)
    verdict = "beats best OpenCV in every family" if not losing else \
        f"does not beat best OpenCV in {losing} of {len(EVAL_FAMILIES)} families"
    return (f"quality: {reference} {verdict}: hole PSNR margin min {margin[worst]['margin']:+.2f} dB ({worst}), "
            f"max {margin[best]['margin']:+.2f} dB ({best}), on {count} validation images")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/train", help="image folder or 'cifar10' whose validation split is "
                        "scored (default %(default)s)")
    parser.add_argument("--images", type=int, help="score this many validation images (default: all of them)")
    parser.add_argument("--model", action="append", default=[], metavar="NAME_OR_FOLDER",
                        help="a model bundle to score besides the shipped ones; repeatable")
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped models (pretrained/)")
    parser.add_argument("--seed", type=int, default=0, help="hole seed (default %(default)s, as validation uses)")
    parser.add_argument("--grid", default="bench/results/quality/quality_grid.png",
                        help="picture of the fills (default %(default)s)")
    parser.add_argument("--grid-per-family", type=int, default=1, choices=[1, 2],
                        help="images per hole family in the picture (default %(default)s)")
    parser.add_argument("--json", metavar="PATH", default="bench/results/quality/quality.json",
                        help="the figures as JSON (default %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.images is not None and args.images < 1:
        print("error: --images must be positive", file=sys.stderr)
        return 2
    models = ([] if args.no_shipped else shipped_models()) + args.model
    try:
        images = validation_images(args.data, args.images)
        methods = load_methods(models)
    except (DataError, BundleError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(images)} validation images of {args.data}, hole seed {args.seed}; "
          f"methods: {', '.join(methods)}", flush=True)

    results = {}
    for name, fill in methods.items():
        start = time.perf_counter()
        results[name] = evaluate_fill(fill, images, seed=args.seed, with_ssim=True)
        print(f"  {name}: {time.perf_counter() - start:.1f} s", flush=True)

    print("\nhole PSNR (dB)\n\n" + markdown_table(results, "hole_psnr", 2))
    print("\nSSIM of the composite\n\n" + markdown_table(results, "ssim", 3))
    reference = models[0] if models else None  # the shipped default when there is one
    margin = margins(results, reference) if reference else None
    if margin:
        print(f"\nmargin of {reference} over the better OpenCV method (hole PSNR, dB)\n")
        print("| family | better OpenCV | its hole PSNR | margin |\n|---|---|---:|---:|")
        for family, m in margin.items():
            print(f"| {FAMILY_LABELS[family]} | {m['best_opencv']} | {m['best_opencv_hole_psnr']:.2f} "
                  f"| {m['margin']:+.2f} |")

    holes = {family: fixed_holes(family, len(images), images.shape[-1], args.seed) for family in EVAL_FAMILIES}
    Path(args.grid).parent.mkdir(parents=True, exist_ok=True)
    grid_picture(images, holes, methods, args.grid_per_family).save(args.grid)
    print(f"\nfills written to {args.grid}")
    if args.json:
        figures = {"data": args.data, "images": len(images), "seed": args.seed, "families": list(EVAL_FAMILIES),
                   "results": results, "reference": reference, "margin": margin}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    print(summary(results, reference, margin, len(images)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
