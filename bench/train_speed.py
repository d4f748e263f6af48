"""Training speed, side by side in one run: the default model's step, the tutorial's loop against our trainer, and the
time our trainer needs to reach the tutorial recipe's final quality.

    python bench/train_speed.py                                   # on data/train: about 10 minutes on 2 cores
    python bench/train_speed.py --json bench/train_speed.json
    python bench/train_speed.py --images 512 --budget 20000      # shorter

(a) The default model's training step (dilated_unet, batch 128, mixed holes, L1 over the holes, AdamW, flips), in
images/s: fp32 the way the trainer ran it until now (eager; AdamW with a host read of the step count per parameter;
all five hole families drawn for every image, one kept; the batch converted to channels_last every step); the new
step alone (fp32, eager); bf16 autocast (eager); and train.py's default settings (precision auto, torch.compile
where the architecture trains faster compiled, fused AdamW, images stored channels_last, holes drawn only for the
family each image gets). Today's way uses the new strokes generator, faster than the old one, so its figure is if
anything flattering. Compiling is reported apart, never counted in images/s.

(b) The tutorial model and recipe (MSE over every pixel, Adam 1e-3, half the pixels missing, no flips): the
tutorial's own loop (a Dataset that makes each image a PIL image and runs per-image transforms, a DataLoader,
batch 4) against our trainer with the default settings at batch 4 and at the default batch size. Then the recorded
tutorial run's own settings (our trainer as it was, eager, 1 thread, batch 4): its images/s here, times the images
it trained on, estimates that run's wall time on this machine.

(c) Time to quality: our trainer on the tutorial architecture and the 50%-pixels task, with a recipe of our own
(batch 8, lr 1e-2 with warm-up and cosine decay over --budget images, MSE, flips), scored on the whole validation
split every --check-every images (scoring is not counted), until its pixels hole PSNR reaches the tutorial bundle's
final one; against the recorded wall time of that recipe (pretrained/tutorial/config.json) and its estimate here.

Each configuration runs --repeats times, alternating, and the best is kept (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision import transforms

from sslmodel import build_model, holes
from sslmodel.convert import to_float
from sslmodel.data import DataError, load_dataset
from sslmodel.device import (
    AUTOCAST_DTYPES,
    fast_bf16,
    hardware_description,
    pick_precision,
)
from sslmodel.engine import inpainting_loss, random_flip, train_one_epoch
from sslmodel.evaluate import evaluate_model
from sslmodel.objective import Objective
from sslmodel.trainer import TrainConfig, build_optimizer, compiles

CPU = torch.device("cpu")
DEFAULT = TrainConfig()  # train.py's defaults: the default model's recipe and settings
TUTORIAL = replace(DEFAULT, arch="tutorial", holes="pixels", batch_size=4, lr=1e-3, weight_decay=0.0,
                   schedule="constant", loss="mse", loss_region="all", augment=False)  # the tutorial's recipe
# Ours on the tutorial's architecture and task, tuned for time to quality: small batches (more steps per second of
# compute), a 10x higher peak rate, cosine decay. Not compiled: compiling would count against the clock.
TO_QUALITY = replace(TUTORIAL, batch_size=8, lr=1e-2, schedule="cosine", augment=True, compile=False)
HOLE_PROBABILITY = 0.5  # the tutorial's masking ratio, and the default of the "pixels" hole family
SPEEDUP_TARGET = 2.0  # the default step against today's fp32
TIME_TARGET = 1 / 10  # time to the tutorial's quality against its recipe's
WARM_UP_STEPS = 2


# ------------------------------------------------------------------------------------------- (a) and (b): images/s

def todays_holes(family: str, n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """make_holes as it was: `mixed` drew all five families for every image and kept one per image."""
    if family != "mixed":
        return holes.make_holes(family, n, size, generator=generator)
    candidates = torch.stack([
        holes.pixels(n, size, p=0.3 + 0.5 * torch.rand(n, generator=generator), generator=generator),
        holes.center(n, size, side=16 * size // 32),
        holes.boxes(n, size, generator=generator),
        holes.strokes(n, size, generator=generator),
        holes.patches(n, size, ratio=0.5 + 0.4 * torch.rand(n, generator=generator), generator=generator),
    ], dim=1)  # (N, F, H, W)
    choice = torch.randint(0, candidates.shape[1], (n,), generator=generator)
    return candidates[torch.arange(n), choice]


def todays_epoch(model: torch.nn.Module, images_uint8: torch.Tensor, config: TrainConfig, seed: int) -> float:
    """One pass the way engine.train_one_epoch and the trainer ran it before: images/s."""
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                  betas=(0.9, 0.99) if config.schedule == "cosine" else (0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(images_uint8), generator=generator)
    steps = len(images_uint8) // config.batch_size
    model.train()
    start = time.perf_counter()
    for step in range(steps):
        batch = to_float(images_uint8[order[step * config.batch_size:(step + 1) * config.batch_size]])
        if config.augment:
            batch = random_flip(batch, generator)
        hole = todays_holes(config.holes, len(batch), batch.shape[-1], generator)
        batch = batch.contiguous(memory_format=torch.channels_last)
        loss = inpainting_loss(model(batch, hole).float(), batch, hole, config.loss, config.loss_region)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss.item()
    return steps * config.batch_size / (time.perf_counter() - start)


class Trainer:
    """Our trainer's step as train.py sets it up (trainer.Run): the model channels_last, build_optimizer's AdamW,
    torch.compile when the config asks, the images stored channels_last, engine.train_one_epoch."""

    def __init__(self, config: TrainConfig, precision: str, seed: int = 0, total_steps: int = 10 ** 6):
        torch.manual_seed(seed)
        self.config = config
        self.model = build_model(config.arch).to(memory_format=torch.channels_last)
        self.optimizer, self.scheduler = build_optimizer(self.model, config, total_steps, CPU)
        objective = Objective(self.model)  # what the trainer steps: inpainting alone, as the recipes here
        self.trained = torch.compile(objective) if compiles(config) else objective
        self.autocast_dtype = AUTOCAST_DTYPES[precision]
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self, images_uint8: torch.Tensor) -> float:
        """One pass over `images_uint8` (stored channels_last): images/s."""
        c = self.config
        stats = train_one_epoch(self.trained, self.optimizer, self.scheduler, images_uint8, batch_size=c.batch_size,
                                hole_family=c.holes, loss_kind=c.loss, loss_region=c.loss_region, augment=c.augment,
                                generator=self.generator, device=CPU, autocast_dtype=self.autocast_dtype,
                                progress=False)
        return stats.images_per_second

    def warm_up(self, images_uint8: torch.Tensor) -> float:
        """A few steps that take the one-time costs (compiling, kernel selection): seconds."""
        start = time.perf_counter()
        self.epoch(images_uint8[:WARM_UP_STEPS * self.config.batch_size])
        return time.perf_counter() - start


class TutorialStyleDataset(torch.utils.data.Dataset):
    """Like torchvision.datasets.CIFAR10: uint8 (N, H, W, 3) in memory, each item a PIL image through `transform`."""

    def __init__(self, images_nhwc: np.ndarray, transform):
        self.data, self.transform = images_nhwc, transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        return self.transform(Image.fromarray(self.data[index]))


class MaskPixels:
    """The tutorial's masking transform, corrected: all channels of a pixel go missing together."""

    def __call__(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        hole = torch.rand(image.shape[1:]) < HOLE_PROBABILITY  # (H, W), True = missing
        return image * ~hole, hole, image  # masked input, hole, target


def tutorial_loop_epoch(images_uint8: torch.Tensor, workers: int, seed: int) -> float:
    """The tutorial's own loop on its model: per-image transforms, a DataLoader, nn.MSELoss, Adam. images/s."""
    torch.manual_seed(seed)
    model = build_model("tutorial")
    dataset = TutorialStyleDataset(images_uint8.permute(0, 2, 3, 1).numpy(),
                                   transforms.Compose([transforms.ToTensor(), MaskPixels()]))
    loader = DataLoader(dataset, batch_size=TUTORIAL.batch_size, shuffle=True, drop_last=True, num_workers=workers,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=TUTORIAL.lr)
    criterion = torch.nn.MSELoss()
    model.train()
    seen, start = 0, time.perf_counter()
    for masked, hole, target in loader:
        optimizer.zero_grad()
        loss = criterion(model(masked, hole), target)
        loss.backward()
        optimizer.step()
        loss.item()
        seen += len(target)
    return seen / (time.perf_counter() - start)


def with_threads(threads: int | None, run):
    """`run()` with `threads` torch threads (None: as they are), the previous number restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        return run()
    finally:
        torch.set_num_threads(before)


def best_of(repeats: int, runs: dict) -> dict[str, float]:
    """Every run of `runs` (name -> function returning images/s), `repeats` times in turn: the best of each."""
    rates = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            rates[name].append(run())
    return {name: max(values) for name, values in rates.items()}


def fitted(config: TrainConfig, n_images: int) -> TrainConfig:
    """`config` with a batch no larger than the images there are (only tiny smoke-test data needs it)."""
    return replace(config, batch_size=min(config.batch_size, n_images // (WARM_UP_STEPS + 1)))


def default_step(images: torch.Tensor, compile_default: bool | None, repeats: int, bf16_images: int) -> dict:
    """(a): images/s of the default model's step, today's way and with the new settings."""
    config = fitted(replace(DEFAULT, compile=False), len(images))
    auto = pick_precision("auto", CPU)
    stored = images.contiguous(memory_format=torch.channels_last)
    eager_fp32, eager_bf16 = Trainer(config, "fp32"), Trainer(config, "bf16")
    new = Trainer(replace(config, compile=compile_default), auto)
    warm_up = {"new default": new.warm_up(stored), "fp32 eager": eager_fp32.warm_up(stored)}
    todays_epoch(build_model(config.arch), images[:WARM_UP_STEPS * config.batch_size], config, seed=1)
    rates = best_of(repeats, {"fp32 today": lambda: todays_epoch(build_model(config.arch), images, config, seed=0),
                              "fp32 eager": lambda: eager_fp32.epoch(stored),
                              "new default": lambda: new.epoch(stored)})
    # bf16 without bf16 instructions runs on fallback kernels ~10x slower: a few steps tell as much
    bf16_count = len(images) if fast_bf16(CPU) else min(len(images), max(bf16_images, config.batch_size))
    warm_up["bf16 eager"] = eager_bf16.warm_up(stored)
    rates["bf16 eager"] = best_of(1 if bf16_count < len(images) else repeats,
                                  {"bf16": lambda: eager_bf16.epoch(stored[:bf16_count])})["bf16"]
    return {"images": len(images), "bf16_images": bf16_count, "batch_size": config.batch_size, "precision_auto": auto,
            "compiled": compiles(new.config), "images_per_second": rates, "warm_up_seconds": warm_up,
            "speedup": rates["new default"] / rates["fp32 today"]}


def tutorial_model(images: torch.Tensor, compile_default: bool | None, repeats: int, workers: int,
                   recorded_threads: int) -> dict:
    """(b): the tutorial's loop against our trainer on the tutorial model, and its recorded run's settings."""
    auto = pick_precision("auto", CPU)
    stored = images.contiguous(memory_format=torch.channels_last)
    small = fitted(replace(TUTORIAL, compile=compile_default), len(images))
    large = fitted(replace(small, batch_size=DEFAULT.batch_size), len(images))
    ours_small, ours_large = Trainer(small, auto), Trainer(large, auto)
    warm_up = {"ours, small batch": ours_small.warm_up(stored), "ours, large batch": ours_large.warm_up(stored)}
    tutorial_loop_epoch(images[:WARM_UP_STEPS * small.batch_size * 4], workers, seed=1)
    recorded = fitted(replace(TUTORIAL, compile=False), len(images))
    rates = best_of(repeats, {
        "tutorial loop": lambda: tutorial_loop_epoch(images, workers, seed=0),
        "ours, small batch": lambda: ours_small.epoch(stored),
        "ours, large batch": lambda: ours_large.epoch(stored),
        "recorded run's settings": lambda: with_threads(
            recorded_threads, lambda: todays_epoch(build_model("tutorial"), images, recorded, seed=0)),
    })
    tutorial = rates["tutorial loop"]
    return {"images": len(images), "batch_sizes": {"small": small.batch_size, "large": large.batch_size},
            "precision_auto": auto, "compiled": compiles(small), "workers": workers,
            "recorded_threads": recorded_threads, "images_per_second": rates, "warm_up_seconds": warm_up,
            "speedup_small_batch": rates["ours, small batch"] / tutorial,
            "speedup_large_batch": rates["ours, large batch"] / tutorial}


# ------------------------------------------------------------------------------------------- (c): time to quality

def read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def tutorial_reference(folder: Path) -> dict | None:
    """The tutorial bundle's final pixels hole PSNR, training wall time and images trained on; None without one."""
    config = read_json(folder / "config.json")
    training = (config or {}).get("training", {})
    if "pixels" not in (config or {}).get("metrics", {}) or "wall_time_seconds" not in training:
        return None
    epochs = training.get("epochs_completed") or config.get("recipe", {}).get("epochs", 1)
    return {"pixels_hole_psnr": config["metrics"]["pixels"]["hole_psnr"], "seconds": training["wall_time_seconds"],
            "epochs": epochs, "images_trained": epochs * training.get("train_images", 0),
            "hardware": training.get("hardware", "unknown")}


def time_to_quality(train_images: torch.Tensor, val_images: torch.Tensor, target: float, budget: int,
                    check_every: int, seed: int = 0) -> dict:
    """Train TO_QUALITY's recipe, scoring every `check_every` images, until the pixels hole PSNR reaches `target`
    or `budget` images are seen (the length of the cosine schedule). Training seconds only."""
    config = fitted(TO_QUALITY, len(train_images))
    run = Trainer(config, pick_precision(config.precision, CPU), seed, total_steps=budget // config.batch_size)
    stored = train_images.contiguous(memory_format=torch.channels_last)
    passes = -(-budget // len(stored))  # every image once per pass, in a new order each pass
    order = torch.cat([torch.randperm(len(stored), generator=torch.Generator().manual_seed(seed + p))
                       for p in range(passes)])[:budget]
    seconds, seen, checks = 0.0, 0, []
    while seen < budget:
        chunk = order[seen:seen + max(check_every, config.batch_size)]
        start = time.perf_counter()
        run.epoch(stored[chunk])
        seconds += time.perf_counter() - start
        seen += len(chunk) // config.batch_size * config.batch_size  # whole batches only
        if len(chunk) < config.batch_size:
            break
        psnr = evaluate_model(run.model, val_images, families=("pixels",))["pixels"]["hole_psnr"]
        checks.append({"images": seen, "seconds": round(seconds, 2), "pixels_hole_psnr": psnr})
        print(f"    {seen:>7,} images, {seconds:6.1f} s of training: pixels hole PSNR {psnr:.2f} dB", flush=True)
        if psnr >= target:
            break
    reached = checks[-1]["pixels_hole_psnr"] >= target
    return {"recipe": {key: value for key, value in asdict(config).items() if key not in ("data", "out", "cache_dir")},
            "budget_images": budget, "check_every": check_every, "val_images": len(val_images), "target": target,
            "reached": reached, "seconds": checks[-1]["seconds"], "images": seen,
            "pixels_hole_psnr": checks[-1]["pixels_hole_psnr"], "checks": checks}


# ------------------------------------------------------------------------------------------------------ the report

def print_rates(title: str, rows: list[tuple[str, float]]) -> None:
    print(title)
    for label, rate in rows:
        print(f"  {label:<76} {rate:7.1f} img/s")


def summary(step: dict, tutorial: dict, quality: dict | None, reference: dict | None, estimate: float | None) -> str:
    r = step["images_per_second"]
    a = (f"default step {r['new default']:.0f} vs {r['fp32 today']:.0f} img/s fp32 today = {step['speedup']:.2f}x "
         f"(target {SPEEDUP_TARGET:.0f}x)")
    t = tutorial["images_per_second"]
    b = (f"tutorial model: ours {t['ours, small batch']:.0f} img/s at batch {tutorial['batch_sizes']['small']} = "
         f"{tutorial['speedup_small_batch']:.2f}x and {t['ours, large batch']:.0f} at batch "
         f"{tutorial['batch_sizes']['large']} = {tutorial['speedup_large_batch']:.2f}x its own loop's "
         f"{t['tutorial loop']:.0f}")
    if quality is None:
        c = "time to tutorial quality skipped (no tutorial bundle with pixels metrics and wall time)"
    else:
        c = (f"{quality['target']:.2f} dB reached in {quality['seconds']:.0f} s = "
             f"1/{reference['seconds'] / quality['seconds']:.1f} of the recorded {reference['seconds']:.0f} s "
             f"(target 1/{1 / TIME_TARGET:.0f})")
        if estimate:
            c += f", 1/{estimate / quality['seconds']:.1f} of {estimate:.0f} s estimated here"
        if not quality["reached"]:
            c = (f"{quality['target']:.2f} dB NOT reached within {quality['images']:,} images: "
                 f"{quality['pixels_hole_psnr']:.2f} dB after {quality['seconds']:.0f} s")
    return f"train_speed: {a}; {b}; {c}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/train", help="image folder or 'cifar10' (default %(default)s)")
    parser.add_argument("--images", type=int, default=2560, help="training images per timed pass in (a) and (b) "
                        "(default %(default)s)")
    parser.add_argument("--bf16-images", type=int, default=384, help="images of the bf16 pass in (a) on a CPU "
                        "without bf16 instructions, where it is slow (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=2, help="timed passes per configuration; the best counts "
                        "(default %(default)s)")
    parser.add_argument("--budget", type=int, default=90000, help="(c): most training images, and the length of "
                        "its cosine schedule (default %(default)s)")
    parser.add_argument("--check-every", type=int, default=9000, help="(c): training images between scorings "
                        "(default %(default)s)")
    parser.add_argument("--val-images", type=int, default=0, help="(c): validation images scored, spread over the "
                        "split; 0 (default): all of it, as the tutorial's figure was")
    parser.add_argument("--no-compile", dest="compile", action="store_false", default=DEFAULT.compile,
                        help="leave torch.compile out of the default settings, where they compile (tests)")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes of the tutorial's loop "
                        "(default %(default)s, the DataLoader's own default)")
    parser.add_argument("--recorded-threads", type=int, default=1, help="threads of the recorded tutorial run "
                        "(default %(default)s, as its command line says)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice, one per core)")
    parser.add_argument("--tutorial", default="pretrained/tutorial", type=Path, help="tutorial bundle: the target "
                        "quality and the recorded wall time (default %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        dataset = load_dataset(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    images = dataset.train.images[:args.images]
    if len(images) < (WARM_UP_STEPS + 1) * TUTORIAL.batch_size:
        print(f"error: --images must be at least {(WARM_UP_STEPS + 1) * TUTORIAL.batch_size}", file=sys.stderr)
        return 2
    print(f"{hardware_description(CPU)}; torch {torch.__version__}; precision auto here: "
          f"{pick_precision('auto', CPU)}; {len(images)} images of {args.data} per timed pass, best of "
          f"{args.repeats}", flush=True)

    step = default_step(images, args.compile, args.repeats, args.bf16_images)
    r, batch = step["images_per_second"], step["batch_size"]
    bf16_note = "" if fast_bf16(CPU) else "; no bf16 instructions here"
    compiled = "compiled" if step["compiled"] else "not compiled"
    print_rates(f"\n(a) default model ({DEFAULT.arch}), batch {batch}, {DEFAULT.holes} holes", [
        ("fp32, today's way (eager, all families' holes, per-step conversion)", r["fp32 today"]),
        ("fp32, new step, eager", r["fp32 eager"]),
        (f"bf16 autocast, new step, eager ({step['bf16_images']} images{bf16_note})", r["bf16 eager"]),
        (f"new default settings ({step['precision_auto']}, {compiled}, fused AdamW)", r["new default"]),
    ])
    print(f"  speed-up of the default settings: {step['speedup']:.2f}x (target at least {SPEEDUP_TARGET:.0f}x); "
          f"warm-up (not counted): " + ", ".join(f"{k} {v:.0f} s" for k, v in step["warm_up_seconds"].items()))

    tutorial = tutorial_model(images, args.compile, args.repeats, args.workers, args.recorded_threads)
    t, sizes = tutorial["images_per_second"], tutorial["batch_sizes"]
    compiled = "compiled" if tutorial["compiled"] else "not compiled"
    print_rates("\n(b) tutorial model and recipe (MSE over every pixel, Adam 1e-3, 50% pixels)", [
        (f"tutorial's own loop (per-image transforms, DataLoader), batch {TUTORIAL.batch_size}", t["tutorial loop"]),
        (f"our trainer, default settings ({tutorial['precision_auto']}, {compiled}), batch {sizes['small']}",
         t["ours, small batch"]),
        (f"our trainer, default settings, batch {sizes['large']}", t["ours, large batch"]),
        ((f"the recorded tutorial run's settings (eager, {args.recorded_threads} thread(s), "
          f"batch {TUTORIAL.batch_size})"), t["recorded run's settings"]),
    ])
    print(f"  ours against the tutorial's loop: {tutorial['speedup_small_batch']:.2f}x at batch {sizes['small']}, "
          f"{tutorial['speedup_large_batch']:.2f}x at batch {sizes['large']}")

    reference, quality, estimate = tutorial_reference(args.tutorial), None, None
    print("\n(c) time to the tutorial's quality (tutorial architecture, 50% pixels)")
    if reference is None:
        print(f"  skipped: no tutorial bundle with pixels metrics and wall time in {args.tutorial}")
    else:
        if reference["images_trained"]:
            estimate = reference["images_trained"] / t["recorded run's settings"]
        print(f"  reference: the tutorial recipe's final pixels hole PSNR {reference['pixels_hole_psnr']:.2f} dB, "
              f"recorded after {reference['seconds']:.0f} s of training ({reference['epochs']} epochs, on "
              f"{reference['hardware']}); not re-run here (too long), so its time on this machine is estimated: "
              + (f"{reference['images_trained']:,} images at the (b) rate of its settings = {estimate:.0f} s"
                 if estimate else "unknown (no image count recorded)"))
        val = dataset.val.images
        if args.val_images and args.val_images < len(val):
            val = val[torch.linspace(0, len(val) - 1, args.val_images).long()]
        c = TO_QUALITY
        print(f"  ours: batch {c.batch_size}, lr {c.lr:g} ({c.schedule} over {args.budget:,} images), {c.loss} over "
              f"{c.loss_region} pixels, flips, {pick_precision(c.precision, CPU)}, scored on {len(val)} validation "
              "images:", flush=True)
        quality = time_to_quality(dataset.train.images, val, reference["pixels_hole_psnr"], args.budget,
                                  args.check_every)
        verdict = "reached" if quality["reached"] else f"not reached within {quality['images']:,} images"
        print(f"  {verdict}: {quality['pixels_hole_psnr']:.2f} dB after {quality['seconds']:.1f} s = "
              f"{quality['seconds'] / reference['seconds']:.3f} of the recorded {reference['seconds']:.0f} s "
              f"(target at most {TIME_TARGET:.2f})" + (f", {quality['seconds'] / estimate:.3f} of the {estimate:.0f} s "
                                                       "estimated here" if estimate else ""))
    if args.json:
        figures = {"hardware": hardware_description(CPU), "torch": torch.__version__, "default_step": step,
                   "tutorial_model": tutorial, "tutorial_reference": reference,
                   "tutorial_seconds_estimated_here": estimate, "time_to_quality": quality}
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    print(summary(step, tutorial, quality, reference, estimate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
