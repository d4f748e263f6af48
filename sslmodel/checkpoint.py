"""A run's checkpoint: what it holds, writing it atomically, reading it back safely, what a resume would change.

A checkpoint is a dict of tensors and plain values, written by torch.save and read with weights_only=True: the
model, the projection head (when the contrastive loss is on), the optimizer and schedule, the epoch, the history,
the training time, the run's config (its recipe as a dict) and the number of processes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from .atomic import atomic_path

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_KEYS = {"model", "optimizer", "scheduler", "epoch", "history", "elapsed_seconds", "config"}


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be resumed; the message says why and what to do."""


def write_checkpoint(folder: Path, state: dict[str, Any]) -> None:
    with atomic_path(folder / CHECKPOINT_NAME) as tmp:
        torch.save(state, tmp)


def read_checkpoint(folder: Path) -> dict[str, Any]:
    path = folder / CHECKPOINT_NAME
    if not path.exists():
        raise CheckpointError(f"no {CHECKPOINT_NAME} in {folder} to resume; drop --resume to start a new run")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises EOFError, RuntimeError, UnpicklingError, ... for a bad file
        raise CheckpointError(f"{path} is truncated, corrupt or not a weights-only checkpoint written by train.py "
                              f"({type(error).__name__}); move it away to start a new run") from None
    if not isinstance(state, dict) or not CHECKPOINT_KEYS <= set(state) or not isinstance(state["config"], dict):
        raise CheckpointError(f"{path} is not a checkpoint written by train.py; move it away to start a new run")
    return state


def flag(key: str) -> str:
    return f"--{key.replace('_', '-')}"


def changes(saved: dict[str, Any], run: dict[str, Any], world_size: int) -> list[str]:
    """What resuming the checkpoint `saved` with the run config `run` (asdict of a TrainConfig, its precision
    resolved) on `world_size` processes would change, as "--flag old -> new"; any change breaks the schedule and
    the replay of the epochs. Fields a checkpoint predates are not compared."""
    def show(value) -> str:
        return json.dumps(value) if isinstance(value, dict) else str(value)

    then_recipe, now_recipe = saved["config"].get("recipe", {}), run["recipe"]
    pairs = {flag(key): (saved["config"][key], run[key]) for key in ("arch", "arch_config") if key in saved["config"]}
    pairs |= {flag(key): (then_recipe[key], now_recipe[key]) for key in now_recipe if key in then_recipe}
    pairs["processes"] = (saved.get("world_size", world_size), world_size)
    return [f"{name} {show(then)} -> {show(now)}" for name, (then, now) in pairs.items() if then != now]
