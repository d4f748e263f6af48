"""Time for our trainer to reach the tutorial recipe's final quality, against the time that recipe took.

    python bench/time_to_quality.py                               # on data/train: about 5 minutes on 2 cores
    python bench/time_to_quality.py --json bench/results/time_to_quality/time_to_quality.json
    python bench/time_to_quality.py --budget 20000                 # shorter

Our trainer (set up by trainer.set_up and trainer.build_state, stepped by engine.train_one_epoch) on the tutorial
architecture and the 50%-pixels task, with a recipe of our own: batch 8, lr 1e-2 with warm-up and cosine decay over
--budget images, MSE, flips, precision auto, not compiled (compiling would count against the clock). It is scored
on the validation split every --check-every images (scoring is not counted) until its pixels hole PSNR reaches the
tutorial bundle's final one (pretrained/tutorial/config.json), and its training seconds are set against the
recorded wall time of the tutorial recipe. That run is not repeated here (too long); its time on this machine is
estimated from the images it trained on, at the images/s our trainer makes with its recorded settings (the tutorial
recipe in fp32, eager, --recorded-threads threads, batch 4; best of --repeats passes over --images images).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from training import TUTORIAL, best_of, fitted, machine, parser, start_run, with_threads, write_json

from sslmodel.bundle_config import BundleConfig
from sslmodel.engine import EpochGenerators
from sslmodel.evaluate import evaluate_model
from sslmodel.trainer import TrainConfig

# Small batches (more steps per second of compute), a 10x higher peak rate than the tutorial's, cosine decay
TO_QUALITY = replace(TUTORIAL, batch_size=8, lr=1e-2, schedule="cosine", augment=True)
TIME_TARGET = 1 / 10  # time to the tutorial's quality against its recipe's


def tutorial_reference(folder: Path) -> dict | None:
    """The tutorial bundle's final pixels hole PSNR, training wall time and images trained on; None without one."""
    path = folder / "config.json"
    if not path.is_file():
        return None
    config = BundleConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    training = config.training
    if "pixels" not in config.metrics or not training.wall_time_seconds:
        return None
    epochs = training.epochs_completed or config.recipe.epochs
    return {"pixels_hole_psnr": config.metrics["pixels"]["hole_psnr"], "seconds": training.wall_time_seconds,
            "epochs": epochs, "images_trained": epochs * training.train_images,
            "hardware": training.hardware or "unknown"}


def time_to_quality(run, val_images: torch.Tensor, target: float, budget: int, check_every: int,
                    seed: int = 0) -> dict:
    """Train the run, scoring every `check_every` images, until the pixels hole PSNR reaches `target` or `budget`
    images are seen (the length of the run's cosine schedule). Training seconds only."""
    stored, batch_size = run.images(), run.recipe.batch_size
    passes = -(-budget // len(stored))  # every image once per pass, in a new order each pass
    order = torch.cat([torch.randperm(len(stored), generator=torch.Generator().manual_seed(seed + p))
                       for p in range(passes)])[:budget]
    generators = EpochGenerators.single(seed)  # one for the whole run: every chunk draws new holes and flips
    seconds, seen, checks = 0.0, 0, []
    while seen < budget:
        chunk = stored[order[seen:seen + max(check_every, batch_size)]]
        if len(chunk) < batch_size:
            break
        start = time.perf_counter()
        run.epoch(chunk, generators=generators)
        seconds += time.perf_counter() - start
        seen += len(chunk) // batch_size * batch_size  # whole batches only
        psnr = evaluate_model(run.state.model, val_images, families=("pixels",))["pixels"]["hole_psnr"]
        checks.append({"images": seen, "seconds": round(seconds, 2), "pixels_hole_psnr": psnr})
        print(f"    {seen:>7,} images, {seconds:6.1f} s of training: pixels hole PSNR {psnr:.2f} dB", flush=True)
        if psnr >= target:
            break
    return {"recipe": run.recipe.to_dict(), "budget_images": budget, "check_every": check_every,
            "val_images": len(val_images), "target": target, "reached": checks[-1]["pixels_hole_psnr"] >= target,
            "seconds": checks[-1]["seconds"], "images": seen, "pixels_hole_psnr": checks[-1]["pixels_hole_psnr"],
            "checks": checks}


def recorded_settings_rate(run, count: int, threads: int, repeats: int) -> float:
    """images/s of the tutorial recipe with its recorded run's settings (fp32, eager, `threads` threads) on the
    run's model and optimizer: what the weights are does not change the speed."""
    images, recorded = run.images(count), replace(fitted(TUTORIAL, count), precision="fp32")
    with_threads(threads, lambda: run.warm_up(images, recorded, eager=True))
    return best_of(repeats, {"recorded": lambda: with_threads(
        threads, lambda: run.images_per_second(images, recorded, eager=True))})["recorded"]


def summary(quality: dict | None, reference: dict | None, estimate: float | None) -> str:
    if quality is None:
        return "time_to_quality: skipped (no tutorial bundle with pixels metrics and wall time)"
    if not quality["reached"]:
        return (f"time_to_quality: {quality['target']:.2f} dB NOT reached within {quality['images']:,} images: "
                f"{quality['pixels_hole_psnr']:.2f} dB after {quality['seconds']:.0f} s")
    line = (f"time_to_quality: {quality['target']:.2f} dB reached in {quality['seconds']:.0f} s = "
            f"1/{reference['seconds'] / quality['seconds']:.1f} of the recorded {reference['seconds']:.0f} s "
            f"(target 1/{1 / TIME_TARGET:.0f})")
    return line + (f", 1/{estimate / quality['seconds']:.1f} of {estimate:.0f} s estimated here" if estimate else "")


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__)
    options.add_argument("--budget", type=int, default=90000, help="most training images, and the length of the "
                         "cosine schedule (default %(default)s)")
    options.add_argument("--check-every", type=int, default=9000, help="training images between scorings "
                         "(default %(default)s)")
    options.add_argument("--val-images", type=int, default=0, help="validation images scored, spread over the "
                         "split; 0 (default): all of it, as the tutorial's figure was")
    options.add_argument("--recorded-threads", type=int, default=1, help="threads of the recorded tutorial run "
                         "(default %(default)s, as its command line says)")
    options.add_argument("--tutorial", default="pretrained/tutorial", type=Path, help="tutorial bundle: the target "
                         "quality and the recorded wall time (default %(default)s)")
    args = options.parse_args(argv)
    reference = tutorial_reference(args.tutorial)
    if reference is None:
        print(f"skipped: no tutorial bundle with pixels metrics and wall time in {args.tutorial}")
        print(summary(None, None, None))
        return 0
    recipe = fitted(TO_QUALITY, args.budget)
    config = TrainConfig(data=args.data, arch="tutorial", arch_config={}, recipe=recipe, compile=False,
                         threads=args.threads)
    run = start_run(config, total_steps=args.budget // recipe.batch_size)
    if run is None:
        return 1
    val = run.state.data.dataset.val.images
    if args.val_images and args.val_images < len(val):
        val = val[torch.linspace(0, len(val) - 1, args.val_images).long()]
    print(f"{machine(run)}\nreference: the tutorial recipe's final pixels hole PSNR "
          f"{reference['pixels_hole_psnr']:.2f} dB, recorded after {reference['seconds']:.0f} s of training "
          f"({reference['epochs']} epochs, on {reference['hardware']})")
    c = run.recipe
    print(f"ours: tutorial architecture, batch {c.batch_size}, lr {c.lr:g} ({c.schedule} over {args.budget:,} "
          f"images), {c.loss} over {c.loss_region} pixels, flips, {c.precision}, scored on {len(val)} validation "
          "images:", flush=True)
    quality = time_to_quality(run, val, reference["pixels_hole_psnr"], args.budget, args.check_every)
    rate = recorded_settings_rate(run, args.images, args.recorded_threads, args.repeats)
    estimate = reference["images_trained"] / rate if reference["images_trained"] else None
    print(f"the recorded run's settings (fp32, eager, {args.recorded_threads} thread(s), batch {TUTORIAL.batch_size})"
          f" train {rate:.1f} img/s here: " + (f"{reference['images_trained']:,} images = {estimate:.0f} s"
                                              if estimate else "no image count recorded, so no estimate"))
    verdict = "reached" if quality["reached"] else f"not reached within {quality['images']:,} images"
    print(f"{verdict}: {quality['pixels_hole_psnr']:.2f} dB after {quality['seconds']:.1f} s = "
          f"{quality['seconds'] / reference['seconds']:.3f} of the recorded {reference['seconds']:.0f} s "
          f"(target at most {TIME_TARGET:.2f})"
          + (f", {quality['seconds'] / estimate:.3f} of the {estimate:.0f} s estimated here" if estimate else ""))
    write_json(args.json, {"hardware": machine(run), "tutorial_reference": reference,
                           "recorded_settings_images_per_second": rate, "tutorial_seconds_estimated_here": estimate,
                           "time_to_quality": quality})
    print(summary(quality, reference, estimate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
