"""Training as the benchmarks run it (train_step.py, tutorial_loop.py, time_to_quality.py, objectives.py): a run
set up by the trainer itself (trainer.set_up, trainer.build_state) and stopped before its epochs, passes of
engine.train_one_epoch over it, and timings that keep the best of a few passes. Nothing here trains differently
from train.py; a bench varies only what train_one_epoch takes (the recipe's precision or batch size) or the module
it steps (compiled or not).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import torch

from sslmodel import engine, trainer
from sslmodel.data import DataError
from sslmodel.device import hardware_description, pick_precision
from sslmodel.engine import EpochGenerators, EpochStats, Recipe
from sslmodel.trainer import RunState, Setup, TrainConfig, TrainingError

WARM_UP_STEPS = 2  # steps that take the one-time costs (compiling, kernel selection) before anything is timed
# The tutorial's recipe, as pretrained/tutorial/config.json records it: half the pixels missing, MSE over every
# pixel, a constant 1e-3, no weight decay, no flips, batch 4. The precision is ours (auto) unless a bench says.
TUTORIAL = Recipe(holes="pixels", batch_size=4, lr=1e-3, weight_decay=0.0, schedule="constant", loss="mse",
                  loss_region="all", augment=False)


@dataclass(frozen=True)
class Run:
    """A training run as train.py sets it up, before its first epoch."""
    setup: Setup      # its config holds the precision and compile that were resolved
    state: RunState

    @property
    def recipe(self) -> Recipe:
        return self.setup.config.recipe

    @property
    def settings(self) -> str:
        """The precision and compile the set-up resolved, as "bf16, compiled"."""
        return f"{self.recipe.precision}, {'compiled' if self.setup.config.compile else 'not compiled'}"

    @property
    def device(self) -> torch.device:
        return self.setup.placement.device

    def images(self, count: int | None = None) -> torch.Tensor:
        """The first `count` training images as the trainer stores them: uint8 (N, 3, H, W), channels_last."""
        return self.state.data.train_images[:count]

    def epoch(self, images: torch.Tensor, recipe: Recipe | None = None, eager: bool = False,
              generators: EpochGenerators | None = None) -> EpochStats:
        """engine.train_one_epoch over `images` with `recipe` (default: the run's), through the module the run
        trains (compiled where it compiles) or, `eager`, the objective itself."""
        trained = self.state.objective if eager else self.state.trained
        return engine.train_one_epoch(trained, self.state.optimizer, self.state.scheduler, images,
                                      recipe or self.recipe, generators or EpochGenerators.single(0),
                                      self.setup.placement)

    def images_per_second(self, images: torch.Tensor, recipe: Recipe | None = None, eager: bool = False) -> float:
        return self.epoch(images, recipe, eager).images_per_second

    def warm_up(self, images: torch.Tensor, recipe: Recipe | None = None, eager: bool = False) -> float:
        """WARM_UP_STEPS steps, not timed in images/s: their seconds."""
        start = time.perf_counter()
        self.epoch(images[:WARM_UP_STEPS * (recipe or self.recipe).batch_size], recipe, eager)
        return time.perf_counter() - start


def start_run(config: TrainConfig, total_steps: int | None = None) -> Run | None:
    """trainer.set_up and trainer.build_state; None, after saying why on stderr, when the data or the settings do
    not do. With `total_steps`, the optimizer and its schedule are built for that many steps, a bench's own budget,
    instead of the recipe's epochs."""
    try:
        with tempfile.TemporaryDirectory() as out:  # build_state writes nothing, but refuses a folder holding a run
            setup = trainer.set_up(replace(config, out=out))
            state = trainer.build_state(setup)
    except (DataError, TrainingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    if total_steps is not None:
        state.optimizer, state.scheduler = trainer.build_optimizer(state.objective, setup.config.recipe,
                                                                   total_steps, setup.placement.device)
    return Run(setup, state)


def fitted(recipe: Recipe, n_images: int) -> Recipe:
    """`recipe` with a batch small enough for a warm-up and a timed step in `n_images` (only tiny test data needs
    it)."""
    return replace(recipe, batch_size=max(1, min(recipe.batch_size, n_images // (WARM_UP_STEPS + 1))))


def best_of(repeats: int, runs: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Every run of `runs` (name -> images/s), `repeats` times in turn (the machine may be shared): the best of
    each."""
    rates = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            rates[name].append(run())
    return {name: max(values) for name, values in rates.items()}


def with_threads(threads: int, run: Callable[[], float]) -> float:
    """`run()` with `threads` torch threads, the previous number restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return run()
    finally:
        torch.set_num_threads(before)


def machine(run: Run) -> str:
    return (f"{hardware_description(run.device)}; torch {torch.__version__}; precision auto here: "
            f"{pick_precision('auto', run.device)}")


def timed_header(run: Run, args: argparse.Namespace) -> str:
    """The machine, and what a timed pass of `parser(timed=True)`'s options holds."""
    return (f"{machine(run)}; {len(run.images(args.images))} images of {args.data} per timed pass, best of "
            f"{args.repeats}")


def print_rates(title: str, rows: list[tuple[str, float]]) -> None:
    print(title)
    for label, rate in rows:
        print(f"  {label:<76} {rate:7.1f} img/s")


def parser(doc: str, timed: bool = True) -> argparse.ArgumentParser:
    """The options every training benchmark takes; `timed` adds those of a timed pass (--images, --repeats)."""
    options = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--data", default="data/train", help="image folder or 'cifar10' (default %(default)s)")
    if timed:
        options.add_argument("--images", type=int, default=2560, help="training images per timed pass "
                             "(default %(default)s)")
        options.add_argument("--repeats", type=int, default=2, help="timed passes per configuration; the best "
                             "counts (default %(default)s)")
    options.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: the trainer's choice, "
                         "one per core)")
    options.add_argument("--json", metavar="PATH", type=Path, help="also write the figures as JSON")
    return options


def write_json(path: Path | None, figures) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {path}")
