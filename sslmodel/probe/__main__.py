"""Few-label evaluation from the command line: the comparison table, and the probes a bundle ships for the app.

    # the comparison table for the README and the model card (15-20 min on 2 idle CPU cores)
    python -m sslmodel.probe --data data/train --bundle default --labels 10 100 1000 --seeds 3 \\
        --json runs/probe_default.json --save-probe
    # only the shipping probes (pretrained encoder and raw pixels, 1,000 labels per class, seed 0)
    python -m sslmodel.probe --data data/train --bundle default --labels 1000 --seeds 1 \\
        --methods pretrained pixels --save-probe

`--save-probe` writes probe.safetensors and probe.json into the bundle; `Probe` loads them for the app.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

import torch

from ..atomic import write_text
from ..bundle import PRETRAINED_DIR, BundleError, load_bundle, record_in_bundle, resolve
from ..data import DataError, load_dataset
from ..device import hardware_description
from . import experiment
from .experiment import (
    METHODS,
    ProbeConfig,
    fit_shipping_probes,
    probe_report_markdown,
    probe_table_markdown,
    run_probe,
    summary_line,
)
from .linear import L2_GRID, ProbeError, save_probes


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = ProbeConfig()
    parser = argparse.ArgumentParser(prog="python -m sslmodel.probe", description=f"{__doc__}\n{experiment.__doc__}",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/train", help="labelled image folder (class subfolders) or "
                        "'cifar10'; its fixed validation split is what every method is scored on "
                        "(default %(default)s)")
    parser.add_argument("--bundle", default="default", help="a shipped model's name, a bundle folder or a Hub repo "
                        "id (default %(default)s)")
    parser.add_argument("--labels", type=positive_int, nargs="+", default=list(d.labels), metavar="K",
                        help="labelled training images per class, one table column each (default: 10 100 1000)")
    parser.add_argument("--seeds", type=positive_int, default=d.seeds, help="seeds 0..N-1 per cell; the table shows "
                        "mean ± std over them (default %(default)s)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(d.methods), metavar="METHOD",
                        help=f"table rows to compute, any of {', '.join(METHODS)} (default: all)")
    parser.add_argument("--l2", type=float, default=d.l2, help="a fixed L2 penalty for every linear classifier "
                        "(mean cross-entropy + l2/2 |W|^2 on standardised features); by default it is chosen per "
                        f"cell from {', '.join(f'{v:g}' for v in L2_GRID)} on held-out labelled images")
    parser.add_argument("--lbfgs-iters", type=positive_int, default=d.lbfgs_iters, help="L-BFGS iteration cap of "
                        "the linear classifiers (default %(default)s)")
    parser.add_argument("--finetune-steps", type=positive_int, default=d.finetune_steps, help="AdamW steps of "
                        "end-to-end training, the same for pretrained and scratch (default %(default)s)")
    parser.add_argument("--finetune-batch-size", type=positive_int, default=d.finetune_batch_size,
                        help="images per end-to-end step (default %(default)s)")
    parser.add_argument("--finetune-lr", type=float, default=d.finetune_lr, help="peak AdamW learning rate of "
                        "end-to-end training (default %(default)s)")
    parser.add_argument("--finetune-weight-decay", type=float, default=d.finetune_weight_decay,
                        help="AdamW weight decay of end-to-end training (default %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=d.batch_size, help="images per forward pass "
                        "when computing features (default %(default)s)")
    parser.add_argument("--knn-k", type=int, default=d.knn_k, metavar="K", help="neighbours of the kNN classifier "
                        "on frozen features, the whole training split as the memory bank; 0 skips it "
                        "(default %(default)s)")
    parser.add_argument("--json", metavar="OUT", help="write every figure, the command and the wall time here")
    parser.add_argument("--save-probe", action="store_true", help="also fit the shipping probes (pretrained "
                        "encoder and raw pixels, max(--labels) per class, seed 0) and write probe.safetensors "
                        "and probe.json into the bundle folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fields = set(ProbeConfig.__dataclass_fields__)
    config = ProbeConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items() if k in fields})
    command = "python -m sslmodel.probe " + shlex.join(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    try:
        if args.save_probe and not (os.path.isdir(args.bundle) or (PRETRAINED_DIR / args.bundle).is_dir()):
            raise ProbeError(f"--save-probe writes into a local bundle folder; {args.bundle} is not one")
        model, model_config = load_bundle(args.bundle)
        print(f"loading data from {args.data} ...", flush=True)
        dataset = load_dataset(args.data)
        print(f"{len(dataset.train.images)} training and {len(dataset.val.images)} validation images, "
              f"{len(dataset.classes)} classes; {model_config.arch} from {args.bundle}", flush=True)
        results = run_probe(dataset, model, model_config, config, log=lambda line: print(line, flush=True))
        results |= {"bundle": args.bundle, "data": args.data, "command": command,
                    "hardware": hardware_description(torch.device("cpu"), 1)}
        if args.save_probe:
            probes = fit_shipping_probes(dataset, model, config)
            folder = save_probes(resolve(args.bundle), probes, {
                "labels_per_class": max(config.labels), "seed": 0, "val_images": len(dataset.val.images),
                "command": command})
            results["shipped_probes"] = {kind: round(p.val_accuracy, 2) for kind, p in probes.items()}
            print(f"probes written to {folder}: " + ", ".join(f"{kind} {p.val_accuracy:.1f}%"
                                                               for kind, p in probes.items()), flush=True)
            # the bundle's config and card carry the comparison, so the app, the card and the README agree
            record_in_bundle(folder, "probe", {
                "table": probe_table_markdown(results), "knn": results.get("knn"), "command": command,
                "labels_per_class": results["labels_per_class"], "accuracy": results["accuracy"],
                "hardware": results["hardware"],
                "wall_time_seconds": round(time.perf_counter() - started, 1)})
    except (BundleError, DataError, ProbeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    results["wall_time_seconds"] = round(time.perf_counter() - started, 1)
    print("\n" + probe_report_markdown(results) + "\n")
    if args.json:
        write_text(args.json, json.dumps(results, indent=2) + "\n")
    print(summary_line(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
