"""Train an inpainting model on unlabelled images and write a weights bundle.

    # the shipped default model (its defaults are the recipe), from an image folder such as the offline CIFAR-10
    python train.py --data data/train --out runs/default
    # the same on CIFAR-10 downloaded by torchvision on first use; or a short try of the recipe
    python train.py --data cifar10 --out runs/default
    python train.py --data data/train --epochs 4 --out runs/quick
    # inpainting alone, without the contrastive loss
    python train.py --data data/train --contrastive-weight 0 --out runs/inpaint-only
    # the tutorial's autoencoder, by the tutorial's recipe
    python train.py --data data/train --arch tutorial --holes pixels --epochs 5 --batch-size 4 --lr 1e-3 \\
        --weight-decay 0 --schedule constant --loss mse --loss-region all --no-augment --contrastive-weight 0 \\
        --out runs/tutorial
    # continue an interrupted run
    python train.py --data data/train --out runs/default --resume
    # two processes (DistributedDataParallel)
    torchrun --nproc_per_node=2 train.py --data data/train --out runs/ddp
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys

from sslmodel.contrastive import JOINT_LOSSES
from sslmodel.data import DataError
from sslmodel.device import PRECISIONS
from sslmodel.engine import NonFiniteLossError, Recipe
from sslmodel.objective import FEATURE_STAGES
from sslmodel.holes import FAMILIES
from sslmodel.models import DEFAULT_ARCH, DEFAULT_ARCH_CONFIG, MODELS
from sslmodel.trainer import TrainConfig, TrainingError, train


def number(kind, minimum: float | None = None, positive: bool = False):
    """An argparse type: a finite number of `kind`, positive or at least `minimum` when asked."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'a whole' if kind is int else 'a'} number: {text}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if positive and not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        if minimum is not None and not value >= minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value
    return parse


def probability(text: str) -> float:
    value = number(float, minimum=0)(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be at most 1, got {text}")
    return value


def positive(kind):
    return number(kind, positive=True)


def non_negative(kind):
    return number(kind, minimum=0)


def json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error}): {text}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object such as '{{\"width\": 64}}', got {text}")
    return value


def add_joint_loss_flags(parser: argparse.ArgumentParser, r: Recipe) -> None:
    """The recipe's joint-embedding flags: which loss, on what, with which views."""
    parser.add_argument("--contrastive-weight", type=non_negative(float), default=r.contrastive_weight,
                        help="also train the encoder with a joint-embedding loss (--joint-loss) between each masked "
                        "image and an augmented view of it, times this weight (default %(default)s); 0 trains on "
                        "inpainting alone")
    parser.add_argument("--joint-loss", default=r.joint_loss, choices=JOINT_LOSSES,
                        help="nt_xent (SimCLR, a 512-128 projector) or vicreg (a 2048-wide expander; its loss is "
                        "divided by 25 to sit near NT-Xent's scale) (default %(default)s)")
    parser.add_argument("--contrastive-stages", default=r.contrastive_stages, choices=FEATURE_STAGES,
                        help="the pooled encoder stages the joint loss acts on: all of them (what the probe "
                        "reads) or the deep one (default %(default)s)")
    parser.add_argument("--contrastive-warmup", type=non_negative(float), default=r.contrastive_warmup,
                        metavar="EPOCHS", help="epochs over which the joint loss's weight ramps up from zero "
                        "(default %(default)s)")
    parser.add_argument("--encoder-grad-scale", type=non_negative(float), default=r.encoder_grad_scale,
                        help="scale the joint loss's gradient into the shared encoder by this (its head learns at "
                        "full strength) (default %(default)s)")
    parser.add_argument("--view-holes", default=r.view_holes, action=argparse.BooleanOptionalAction,
                        help="give the augmented view holes of its own (default off: the view is seen whole)")
    parser.add_argument("--small-crops", type=non_negative(int), default=r.small_crops,
                        help="extra 16x16 crops of every image as further positives (default %(default)s)")
    parser.add_argument("--view-jitter", type=non_negative(float), default=r.view_jitter,
                        help="the views' brightness, contrast and saturation jitter (default %(default)s)")
    parser.add_argument("--view-gray", type=probability, default=r.view_gray,
                        help="the share of views made grayscale (default %(default)s)")
    parser.add_argument("--temperature", type=positive(float), default=r.temperature,
                        help="NT-Xent temperature (default %(default)s)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d, r = TrainConfig(), Recipe()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=d.data, help="'cifar10' (torchvision download) or an image folder with "
                        "class subfolders or flat (jpg, png, webp). Default: %(default)s")
    parser.add_argument("--arch", default=d.arch, choices=sorted(MODELS), help=f"architecture (default {DEFAULT_ARCH})")
    parser.add_argument("--arch-config", type=json_object, metavar="JSON",
                        help='architecture keyword arguments as JSON, e.g. \'{"width": 48}\' (default: '
                        f'{json.dumps(DEFAULT_ARCH_CONFIG)} for {DEFAULT_ARCH}, none for the others)')
    parser.add_argument("--holes", default=r.holes, choices=sorted(FAMILIES),
                        help="hole family used in training (default %(default)s: a random family per image)")
    parser.add_argument("--epochs", type=positive(int), default=r.epochs, help="passes over the training split "
                        "(default %(default)s)")
    parser.add_argument("--batch-size", type=positive(int), default=r.batch_size, help="images per step and process "
                        "(default %(default)s)")
    parser.add_argument("--lr", type=positive(float), default=r.lr, help="peak learning rate of AdamW "
                        "(default %(default)s)")
    parser.add_argument("--weight-decay", type=non_negative(float), default=r.weight_decay,
                        help="AdamW weight decay; 0 makes it plain Adam (default %(default)s)")
    parser.add_argument("--schedule", default=r.schedule, choices=["cosine", "constant"],
                        help="learning-rate schedule: warm-up then cosine decay, or constant (default %(default)s)")
    parser.add_argument("--loss", default=r.loss, choices=["l1", "mse"], help="reconstruction loss (default %(default)s)")
    parser.add_argument("--loss-region", default=r.loss_region, choices=["hole", "all"],
                        help="average the loss over the missing pixels only, or over every pixel (default %(default)s)")
    parser.add_argument("--augment", default=r.augment, action=argparse.BooleanOptionalAction,
                        help="random horizontal flips (default on)")
    add_joint_loss_flags(parser, r)
    parser.add_argument("--out", default=d.out, help="output folder: checkpoint, log.jsonl, samples, curves and the "
                        "final bundle (default %(default)s)")
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --out after its last "
                        "completed epoch; the architecture and recipe flags must be the run's")
    parser.add_argument("--seed", type=number(int), default=r.seed,
                        help="seed for initialisation, order, flips and holes (default %(default)s)")
    parser.add_argument("--device", default=d.device, help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:1, mps")
    parser.add_argument("--precision", default=r.precision, choices=PRECISIONS, help="fp32, or bf16 autocast for "
                        "the forward pass (weights, optimizer and evaluation stay fp32); auto (default): bf16 on a "
                        "GPU with bf16 and on a CPU with AVX512_BF16 or AMX, fp32 elsewhere. Part of the recipe: "
                        "--resume needs the run's")
    parser.add_argument("--compile", default=d.compile, action=argparse.BooleanOptionalAction,
                        help="torch.compile the training step; by default only where it measured faster (the "
                        "default architecture: a few percent; compiling takes about a minute once)")
    parser.add_argument("--threads", type=non_negative(int), default=d.threads, help="CPU threads per process; "
                        "0 (default) shares the machine's cores among the processes")
    parser.add_argument("--val-images-per-epoch", type=positive(int), default=d.val_images_per_epoch,
                        help="validation images scored after each epoch (default %(default)s); the final "
                        "metrics use the whole validation split")
    parser.add_argument("--cache-dir", default=d.cache_dir, help="where --data cifar10 is downloaded "
                        "(default %(default)s)")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="publish the bundle to this Hub repo at the end; "
                        "the token comes from `hf auth login` or HF_TOKEN")
    return parser.parse_args(argv)


def make_config(args: argparse.Namespace) -> TrainConfig:
    recipe = Recipe(**{key: value for key, value in vars(args).items() if key in Recipe.__dataclass_fields__})
    run_fields = set(TrainConfig.__dataclass_fields__) - {"recipe", "arch_config"}
    arch_config = args.arch_config if args.arch_config is not None else (
        dict(DEFAULT_ARCH_CONFIG) if args.arch == DEFAULT_ARCH else {})
    return TrainConfig(recipe=recipe, arch_config=arch_config,
                       **{key: value for key, value in vars(args).items() if key in run_fields})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = make_config(args)
    command = "python train.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    try:
        train(config, resume=args.resume, push_to_hub=args.push_to_hub, command=command)
    except (DataError, TrainingError, NonFiniteLossError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: the last completed epoch is saved; continue with --resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
