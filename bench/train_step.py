"""The default model's training step, side by side in one run: the plain fp32 step against train.py's default
settings.

    python bench/train_step.py                                    # on data/train: a few minutes on 2 cores
    python bench/train_step.py --json bench/results/train_step/train_step.json
    python bench/train_step.py --images 512 --repeats 1            # shorter

The default model is what the bare `python train.py` trains: dilated_unet at width 64 (models.DEFAULT_ARCH_CONFIG),
batch 128, mixed holes, L1 over the holes, flips (engine.Recipe's defaults). The trainer sets the run up itself
(trainer.set_up, trainer.build_state: the model and the stored images channels_last, build_optimizer's fused AdamW),
and every timed pass is one engine.train_one_epoch over the same --images training images, in images/s:

    fp32, eager              the plain step: the objective uncompiled, no autocast
    bf16 autocast, eager     on a CPU without bf16 instructions, where it is slow, over --bf16-images images only
    default settings         train.py's: precision auto (bf16 where it is fast, device.fast_bf16), torch.compile
                             where the architecture trains faster compiled (models' compile_training)

Fused AdamW is in every row: it is the trainer's one optimizer. Compiling is reported apart, never counted in
images/s. Each configuration runs --repeats times, alternating, and the best is kept (the machine may be shared).
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

from training import best_of, fitted, machine, parser, print_rates, start_run, timed_header, write_json

from sslmodel.device import fast_bf16
from sslmodel.engine import Recipe
from sslmodel.trainer import TrainConfig

SPEEDUP_TARGET = 2.0  # train.py's default settings against the plain fp32 step


def default_step(run, count: int, bf16_count: int, repeats: int) -> dict:
    """images/s of the run's step in fp32 and bf16 (eager) and with the run's own settings."""
    images = run.images(count)
    fp32, bf16 = replace(run.recipe, precision="fp32"), replace(run.recipe, precision="bf16")
    warm_up = {"default settings": run.warm_up(images), "fp32 eager": run.warm_up(images, fp32, eager=True)}
    rates = best_of(repeats, {"fp32 eager": lambda: run.images_per_second(images, fp32, eager=True),
                              "default settings": lambda: run.images_per_second(images)})
    # bf16 without bf16 instructions runs on fallback kernels ~10x slower: a few steps tell as much
    bf16_images = images if fast_bf16(run.device) else images[:max(bf16_count, run.recipe.batch_size)]
    warm_up["bf16 eager"] = run.warm_up(images, bf16, eager=True)
    rates["bf16 eager"] = best_of(repeats if len(bf16_images) == len(images) else 1,
                                  {"bf16": lambda: run.images_per_second(bf16_images, bf16, eager=True)})["bf16"]
    config = run.setup.config
    return {"arch": config.arch, "arch_config": config.arch_config, "images": len(images),
            "bf16_images": len(bf16_images), "batch_size": run.recipe.batch_size,
            "precision_default": run.recipe.precision, "compiled": config.compile, "settings": run.settings,
            "images_per_second": rates, "warm_up_seconds": warm_up,
            "speedup": rates["default settings"] / rates["fp32 eager"]}


def summary(step: dict) -> str:
    r = step["images_per_second"]
    width = step["arch_config"].get("width")
    return (f"train_step: default model ({step['arch']} width {width}, batch {step['batch_size']}): train.py's "
            f"default settings ({step['settings']}, fused AdamW) {r['default settings']:.0f} img/s = "
            f"{step['speedup']:.2f}x the plain fp32 step's {r['fp32 eager']:.0f} (target {SPEEDUP_TARGET:.0f}x)")


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__)
    options.add_argument("--bf16-images", type=int, default=384, help="images of the bf16 pass on a CPU without "
                         "bf16 instructions, where it is slow (default %(default)s)")
    options.add_argument("--no-compile", dest="compile", action="store_false", default=None,
                         help="leave torch.compile out of train.py's default settings (tests)")
    args = options.parse_args(argv)
    config = TrainConfig(data=args.data, recipe=fitted(Recipe(), args.images), compile=args.compile,
                         threads=args.threads)
    run = start_run(config)
    if run is None:
        return 1
    print(timed_header(run, args), flush=True)

    step = default_step(run, args.images, args.bf16_images, args.repeats)
    r = step["images_per_second"]
    bf16_note = "" if step["bf16_images"] == step["images"] else f", {step['bf16_images']} images: no bf16 here"
    c = run.recipe
    print_rates(f"\ndefault model: {step['arch']} {json.dumps(step['arch_config'])}, batch {c.batch_size}, "
                f"{c.holes} holes, {c.loss} over the holes, flips", [
                    ("fp32, eager: the plain step", r["fp32 eager"]),
                    (f"bf16 autocast, eager{bf16_note}", r["bf16 eager"]),
                    (f"train.py's default settings ({step['settings']}, fused AdamW)", r["default settings"]),
                ])
    print(f"  speed-up of the default settings: {step['speedup']:.2f}x (target at least {SPEEDUP_TARGET:.0f}x); "
          "warm-up (not counted): " + ", ".join(f"{k} {v:.0f} s" for k, v in step["warm_up_seconds"].items()))
    write_json(args.json, {"hardware": machine(run), "default_step": step})
    print(summary(step))
    return 0


if __name__ == "__main__":
    sys.exit(main())
