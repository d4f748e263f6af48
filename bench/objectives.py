"""What each training objective is worth at a short, equal budget: inpainting alone, and inpainting with the
contrastive loss (NT-Xent between each masked image and a masked, augmented view of it) at several weights, acting
on all the pooled encoder stages or on the deep one only. For each: validation hole PSNR per family and the frozen
linear probe.

    python bench/objectives.py --data data/train --steps 90 --weights 0.05 0.5 --stages all deep

Each variant is a run set up by the trainer (trainer.set_up, trainer.build_state: the same seed, so the same initial
weights), trained for --steps steps of engine.train_one_epoch with the cosine schedule spanning them, eager
(compiling costs more than it saves over a short budget), on the same batches in the same order. The probe is
fitted on --labels labelled training images per class and scored on the validation split. A short budget ranks the
objectives by their early trade-off; it does not predict the final figures of a long run.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace

import torch

from training import parser, start_run, write_json

from sslmodel.engine import EpochGenerators, Recipe
from sslmodel.evaluate import evaluate_model
from sslmodel.models import DEFAULT_ARCH_CONFIG
from sslmodel.objective import FEATURE_STAGES
from sslmodel.probe.experiment import label_subsets
from sslmodel.probe.linear import accuracy, encoder_features, train_linear
from sslmodel.trainer import TrainConfig


def probe_accuracy(model, dataset, labels_per_class: int) -> float:
    subset = label_subsets(dataset.train.labels, [labels_per_class], seed=0)[labels_per_class]
    train_features = encoder_features(model, dataset.train.images[subset])
    fit = train_linear(train_features, dataset.train.labels[subset], len(dataset.classes))
    return accuracy(fit.logits(encoder_features(model, dataset.val.images)), dataset.val.labels)


def variants(base: Recipe, weights: list[float], stages: list[str]) -> list[Recipe]:
    """Inpainting alone, then the contrastive loss at every weight on every choice of stages."""
    return [replace(base, contrastive_weight=0.0)] + [
        replace(base, contrastive_weight=weight, contrastive_stages=stage)
        for weight in weights if weight > 0 for stage in stages]


def run_variant(run, args) -> dict:
    """Train `run` for --steps steps, then score it: hole PSNR and the linear probe."""
    recipe = run.recipe
    # the order from one generator, the holes, flips and views from another: every variant gets the same batches
    generators = EpochGenerators(torch.Generator().manual_seed(1), torch.Generator().manual_seed(2))
    started = time.perf_counter()
    stats = run.epoch(run.images(args.steps * recipe.batch_size), generators=generators)
    seconds = time.perf_counter() - started
    dataset = run.state.data.dataset
    metrics = evaluate_model(run.state.model, dataset.val.images[:args.val_images])
    return {"contrastive_weight": recipe.contrastive_weight,
            "contrastive_stages": recipe.contrastive_stages if recipe.contrastive else None,
            "precision": recipe.precision, "train_seconds": round(seconds, 1),
            "images_per_second": round(stats.images_per_second, 1), "inpainting_loss": stats.inpainting_loss,
            "contrastive_loss": stats.contrastive_loss,
            "hole_psnr": {family: round(m["hole_psnr"], 2) for family, m in metrics.items()},
            "probe_accuracy": round(probe_accuracy(run.state.model, dataset, args.labels), 1)}


def objective_name(row: dict) -> str:
    if row["contrastive_stages"] is None:
        return "inpainting"
    return f"+ {row['contrastive_weight']:g} x NT-Xent ({row['contrastive_stages']})"


def main(argv: list[str] | None = None) -> int:
    defaults = Recipe()
    options = parser(__doc__, timed=False)
    options.add_argument("--steps", type=int, default=90, help="training steps of every variant (default "
                         "%(default)s)")
    options.add_argument("--batch-size", type=int, default=256, help="(default %(default)s)")
    options.add_argument("--lr", type=float, default=defaults.lr, help="peak learning rate (default %(default)s)")
    options.add_argument("--temperature", type=float, default=defaults.temperature, help="NT-Xent's (default "
                         "%(default)s)")
    options.add_argument("--weights", type=float, nargs="+", default=[0.05, 0.5], help="contrastive weights, each "
                         "beside inpainting alone, which always runs (default %(default)s)")
    options.add_argument("--stages", nargs="+", choices=FEATURE_STAGES, default=list(FEATURE_STAGES),
                         help="pooled encoder stages the contrastive loss acts on (default: %(default)s)")
    options.add_argument("--labels", type=int, default=1000, help="labelled images per class for the probe "
                         "(default %(default)s)")
    options.add_argument("--val-images", type=int, default=2000, help="validation images scored for hole PSNR "
                         "(default %(default)s)")
    options.add_argument("--arch-config", type=json.loads, default=dict(DEFAULT_ARCH_CONFIG), metavar="JSON",
                         help='dilated_unet keyword arguments, e.g. \'{"width": 8}\' (default: the default model\'s, '
                         '%(default)s)')
    args = options.parse_args(argv)
    base = replace(defaults, batch_size=args.batch_size, lr=args.lr, temperature=args.temperature)
    rows = []
    for recipe in variants(base, args.weights, args.stages):
        config = TrainConfig(data=args.data, arch_config=args.arch_config, recipe=recipe, compile=False,
                             threads=args.threads)
        run = start_run(config, total_steps=args.steps)
        if run is None:
            return 1
        rows.append(run_variant(run, args))
        print(json.dumps(rows[-1]), flush=True)
    write_json(args.json, rows)
    print(f"objectives: {args.steps} steps of {args.batch_size}; " + "; ".join(
        f"{objective_name(row)}: probe {row['probe_accuracy']:.1f}%, mean hole PSNR "
        f"{sum(row['hole_psnr'].values()) / len(row['hole_psnr']):.2f} dB" for row in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
