"""What each training recipe buys, on both axes: hole PSNR over classical inpainting, and what the encoder learned.

For every bundle folder given: its margin in dB over the better OpenCV method per hole family (the bundle's own
final validation metrics against OpenCV Telea / Navier-Stokes on the same split and holes), its wall time, the
1,000-label linear probe (seed 0) and the kNN accuracy (cosine, k = 200, the training split as the memory bank)
of its frozen features, on the validation split. OpenCV's figures are computed once and cached beside the runs.

    python bench/frontier.py runs/short/*        # after short runs of train.py with different recipes
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from quality import classical_method  # bench/ is on the path when a bench script runs

from sslmodel import load_bundle
from sslmodel.data import load_dataset
from sslmodel.evaluate import evaluate_fill
from sslmodel.holes import EVAL_FAMILIES
from sslmodel.probe.experiment import label_subsets
from sslmodel.probe.knn import knn_accuracy
from sslmodel.probe.linear import accuracy, encoder_features, train_linear


def opencv_best(dataset, cache: Path) -> dict[str, float]:
    """The better OpenCV method's hole PSNR per family on the validation split (cached by the split's identity)."""
    if cache.exists():
        saved = json.loads(cache.read_text())
        if saved.get("val_fingerprint") == dataset.val_fingerprint:
            return saved["best"]
    scores = {m: evaluate_fill(classical_method(m), dataset.val.images) for m in ("telea", "ns")}
    best = {f: max(scores[m][f]["hole_psnr"] for m in scores) for f in EVAL_FAMILIES}
    cache.write_text(json.dumps({"val_fingerprint": dataset.val_fingerprint, "best": best}))
    return best


def understanding(model, dataset, labels_per_class: int = 1000) -> tuple[float, float]:
    """(linear probe %, kNN %) of the frozen features on the validation split."""
    train, val = dataset.train, dataset.val
    bank, queries = encoder_features(model, train.images), encoder_features(model, val.images)
    subset = label_subsets(train.labels, [labels_per_class], seed=0)[labels_per_class]
    fit = train_linear(bank[subset], train.labels[subset], len(dataset.classes))
    return accuracy(fit.logits(queries), val.labels), knn_accuracy(queries, val.labels, bank, train.labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundles", nargs="+", help="bundle folders written by train.py")
    parser.add_argument("--data", default="data/train", help="the image folder the bundles were trained on")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    dataset = load_dataset(args.data)
    best = opencv_best(dataset, Path(args.bundles[0]).parent / "opencv_val.json")
    rows = []
    print("| run | " + " | ".join(EVAL_FAMILIES) + " | worst | probe | kNN | steps | minutes |")
    print("|---" * (len(EVAL_FAMILIES) + 6) + "|")
    for folder in args.bundles:
        model, config = load_bundle(folder)
        margins = {f: config.metrics[f]["hole_psnr"] - best[f] for f in EVAL_FAMILIES}
        probe, knn = understanding(model, dataset)
        training = config.training
        steps = training.epochs_completed * (training.train_images // config.recipe.batch_size)
        row = {"run": folder, "margins": margins, "probe": probe, "knn": knn, "steps": steps,
               "minutes": training.wall_time_seconds / 60, "recipe": config.recipe.to_dict()}
        rows.append(row)
        print(f"| {Path(folder).name} | " + " | ".join(f"{m:+.2f}" for m in margins.values())
              + f" | {min(margins.values()):+.2f} | {probe:.1f} | {knn:.1f} | {steps} | {row['minutes']:.1f} |",
              flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=1))
    leader = max(rows, key=lambda r: r["probe"])
    print(f"summary: {len(rows)} runs; best probe {leader['probe']:.1f}% ({Path(leader['run']).name}), worst margin "
          f"{min(leader['margins'].values()):+.2f} dB, kNN {leader['knn']:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
