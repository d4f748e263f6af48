"""Do a model's features find look-alikes of the same class more often than raw pixels do?

    python bench/lookalikes.py                                  # the shipped default
    python bench/lookalikes.py --model runs/default --json runs/lookalikes.json   # a bundle folder

For every image of the built-in gallery (100 validation images, 10 per class), its 8 look-alikes among the app's
1,000 reference images exactly as the page finds them (cosine similarity, copies of the image left out), by the
model's pooled encoder features and by raw pixels. Prints the mean over the gallery of "k of 8 share its class" for
each (chance: 0.8) in one line. About 1,100 images through the encoder: seconds on one CPU thread.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sslmodel import BundleError, Inpainter
from sslmodel.app.examples import GALLERY_FILE, from_gallery
from sslmodel.app.learned import NEIGHBOURS, REFERENCE_FILE, as_batch, nearest_indices
from sslmodel.probe.linear import encoder_features, pixel_features


def labelled_images(path: Path) -> tuple[np.ndarray, list[str]]:
    found = from_gallery(path)
    return np.stack([found.load(i) for i in range(len(found))]), list(found.labels)


def mean_share(queries: torch.Tensor, bank: torch.Tensor, images: np.ndarray, labels: list[str],
               reference: np.ndarray, reference_labels: list[str], k: int) -> float:
    """The mean over the queries of how many of their k look-alikes in `bank` share their class."""
    shares = []
    for query, image, label in zip(queries, images, labels):
        skip = (reference == image).all(axis=(1, 2, 3))  # the gallery shares 30 images with the reference set
        shares.append(sum(reference_labels[i] == label for i in nearest_indices(query[None], bank, k, skip)))
    return float(np.mean(shares))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default", help="a shipped model's name, a bundle folder or a Hub repo "
                        "id (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        model = Inpainter.from_pretrained(args.model).model
    except BundleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    queries, labels = labelled_images(GALLERY_FILE)
    reference, reference_labels = labelled_images(REFERENCE_FILE)
    shares = {}
    for name, features_of in (("features", lambda images: encoder_features(model, as_batch(images))),
                              ("pixels", lambda images: pixel_features(as_batch(images)))):
        shares[name] = mean_share(features_of(queries), features_of(reference), queries, labels, reference,
                                  reference_labels, NEIGHBOURS)
    seconds = time.perf_counter() - started
    chance = NEIGHBOURS / len(set(reference_labels))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"model": args.model, "queries": len(queries),
                                               "reference": len(reference), "k": NEIGHBOURS, "chance": chance,
                                               "mean_share": shares, "seconds": round(seconds, 1)}, indent=2) + "\n",
                                   encoding="utf-8")
    print(f"lookalikes: {args.model}, {len(queries)} gallery images, {NEIGHBOURS} look-alikes each among "
          f"{len(reference):,} reference images: features {shares['features']:.2f} of {NEIGHBOURS} share the "
          f"image's class, raw pixels {shares['pixels']:.2f} (chance {chance:.1f}; {seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
