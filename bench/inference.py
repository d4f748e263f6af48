"""Inference speed of Inpainter.inpaint on the CPU: latency for one image, throughput for batches of 64.

    python bench/inference.py                    # every shipped model
    python bench/inference.py --model runs/default --threads 1

Inputs are random 32x32 images with mixed holes: the time does not depend on what the pixels show.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from sslmodel import BundleError, Inpainter, shipped_models
from sslmodel.holes import fixed_holes

BATCH_SIZE = 64


def seconds_per_call(call: Callable[[], object], repeats: int, warm_up: int) -> np.ndarray:
    """Wall time of each of `repeats` calls, after `warm_up` untimed ones."""
    for _ in range(warm_up):
        call()
    times = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        call()
        times[i] = time.perf_counter() - start
    return times


def time_model(inpainter: Inpainter, repeats: int, warm_up: int) -> dict:
    images = np.random.default_rng(0).integers(0, 256, (BATCH_SIZE, 32, 32, 3), dtype=np.uint8)
    holes = fixed_holes("mixed", BATCH_SIZE).numpy()
    single = seconds_per_call(lambda: inpainter.inpaint(images[0], holes[0]), repeats, warm_up)
    batch = seconds_per_call(lambda: inpainter.inpaint(images, holes), max(repeats // 10, 3), max(warm_up // 5, 1))
    return {"parameters": sum(p.numel() for p in inpainter.model.parameters()),
            "latency_ms_median": 1000 * float(np.median(single)),
            "latency_ms_p95": 1000 * float(np.percentile(single, 95)),
            "batch_images_per_second": BATCH_SIZE / float(np.median(batch))}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[], metavar="NAME_OR_FOLDER",
                        help="a model bundle to time besides the shipped ones; repeatable")
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped models (pretrained/)")
    parser.add_argument("--repeats", type=int, default=200, help="timed single-image calls (default %(default)s); "
                        f"batches of {BATCH_SIZE} are timed a tenth as often")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed single-image calls before timing "
                        "(default %(default)s)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = ([] if args.no_shipped else shipped_models()) + args.model
    if not names:
        print("inference: no model to time (no shipped bundles in pretrained/; pass --model FOLDER)")
        return 1
    try:
        inpainters = {name: Inpainter.from_pretrained(name, device="cpu") for name in names}
    except BundleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Inpainter.inpaint on the CPU, {torch.get_num_threads()} thread(s); batch 1: {args.repeats} calls after "
          f"{args.warm_up} warm-up calls\n")
    results = {name: time_model(inpainter, args.repeats, args.warm_up) for name, inpainter in inpainters.items()}
    print(f"| model | parameters | batch 1 median (ms) | batch 1 p95 (ms) | batch {BATCH_SIZE} (images/s) |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['parameters']:,} | {r['latency_ms_median']:.2f} | {r['latency_ms_p95']:.2f} "
              f"| {r['batch_images_per_second']:.0f} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"threads": torch.get_num_threads(), "batch_size": BATCH_SIZE,
                                               "models": results}, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    print("inference: " + "; ".join(
        f"{name} {r['latency_ms_median']:.1f} ms per image (p95 {r['latency_ms_p95']:.1f}), "
        f"{r['batch_images_per_second']:.0f} img/s at batch {BATCH_SIZE}" for name, r in results.items())
        + f" (CPU, {torch.get_num_threads()} thread(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
