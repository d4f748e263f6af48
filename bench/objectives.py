"""What each training objective is worth at a short, equal budget: inpainting alone, and inpainting with the
contrastive loss at several weights. For each: validation hole PSNR per family and the frozen linear probe.

    python bench/objectives.py --data data/train --steps 90 --weights 0 0.05 0.5

Every variant starts from the same seed and sees the same batches and holes; the probe is fitted on 1,000
labelled training images per class and scored on the validation split. A short budget ranks the weights by
their early trade-off; it does not predict the final figures of a long run.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from sslmodel import build_model, engine, trainer
from sslmodel.data import load_dataset
from sslmodel.evaluate import evaluate_model
from sslmodel.objective import Objective
from sslmodel.probe.experiment import label_subsets
from sslmodel.probe.linear import accuracy, encoder_features, train_linear
from sslmodel.trainer import TrainConfig


def probe_accuracy(model, dataset, labels_per_class: int) -> float:
    subset = label_subsets(dataset.train.labels, [labels_per_class], seed=0)[labels_per_class]
    train_features = encoder_features(model, dataset.train.images[subset])
    fit = train_linear(train_features, dataset.train.labels[subset], len(dataset.classes))
    return accuracy(fit.logits(encoder_features(model, dataset.val.images)), dataset.val.labels)


def run_variant(dataset, weight: float, args) -> dict:
    torch.manual_seed(0)
    model = build_model("dilated_unet", **args.arch_config).to(memory_format=torch.channels_last)
    objective = Objective(model, contrastive=weight > 0)
    optimizer, scheduler = trainer.build_optimizer(objective, TrainConfig(lr=args.lr), args.steps, torch.device("cpu"))
    images = dataset.train.images[:args.steps * args.batch_size].contiguous(memory_format=torch.channels_last)
    started = time.perf_counter()
    stats = engine.train_one_epoch(objective, optimizer, scheduler, images, batch_size=args.batch_size,
                                   hole_family="mixed", loss_kind="l1", loss_region="hole", augment=True,
                                   generator=torch.Generator().manual_seed(1), device=torch.device("cpu"),
                                   contrastive_weight=weight, temperature=args.temperature, progress=False)
    seconds = time.perf_counter() - started
    metrics = evaluate_model(model, dataset.val.images[:args.val_images])
    return {"contrastive_weight": weight, "train_seconds": round(seconds, 1),
            "images_per_second": round(stats.images_per_second, 1), "inpainting_loss": stats.inpainting_loss,
            "contrastive_loss": stats.contrastive_loss,
            "hole_psnr": {family: round(m["hole_psnr"], 2) for family, m in metrics.items()},
            "probe_accuracy": round(probe_accuracy(model, dataset, args.labels), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/train")
    parser.add_argument("--steps", type=int, default=90)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--temperature", type=float, default=0.2)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.05, 0.5])
    parser.add_argument("--labels", type=int, default=1000, help="labelled images per class for the probe")
    parser.add_argument("--val-images", type=int, default=2000, help="validation images scored for hole PSNR")
    parser.add_argument("--arch-config", type=json.loads, default={}, metavar="JSON",
                        help='dilated_unet keyword arguments, e.g. \'{"width": 8}\' (default: the default model)')
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args(argv)
    dataset = load_dataset(args.data)
    rows = []
    for weight in args.weights:
        rows.append(run_variant(dataset, weight, args))
        print(json.dumps(rows[-1]), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=1)
    print(f"objectives: {args.steps} steps of {args.batch_size}; " + "; ".join(
        f"weight {row['contrastive_weight']:g}: probe {row['probe_accuracy']:.1f}%, mean hole PSNR "
        f"{sum(row['hole_psnr'].values()) / len(row['hole_psnr']):.2f} dB" for row in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
