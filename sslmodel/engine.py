"""One training epoch and its loss.

The loop over epochs, checkpoints and logs live in trainer.py; scoring on fixed holes in evaluate.py.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from tqdm import tqdm

from .convert import to_float
from .holes import make_holes


class NonFiniteLossError(RuntimeError):
    pass


def random_flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Horizontal flip of a random half of the batch, in one tensor op."""
    flip = torch.rand(images.shape[0], generator=generator, device=generator.device) < 0.5
    return torch.where(flip.to(images.device).view(-1, 1, 1, 1), images.flip(-1), images)


def inpainting_loss(reconstruction: torch.Tensor, images: torch.Tensor, holes: torch.Tensor,
                    kind: str = "l1", region: str = "hole") -> torch.Tensor:
    """`kind` is l1 or mse; `region` "hole" averages over missing pixels only (MAE-style), "all" over every pixel."""
    error = (reconstruction - images).abs() if kind == "l1" else (reconstruction - images) ** 2
    if region == "all":
        return error.mean()
    weight = holes.unsqueeze(1).to(error.dtype)
    return (error * weight).sum() / (weight.sum() * error.shape[1]).clamp_min(1)


def warmup_cosine(total_steps: int, warmup_steps: int):
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return factor


@dataclass
class EpochStats:
    loss: float
    images_per_second: float


def train_one_epoch(model, optimizer, scheduler, images_uint8: torch.Tensor, *, batch_size: int, hole_family: str,
                    loss_kind: str, loss_region: str, augment: bool, generator: torch.Generator,
                    device: torch.device, autocast_dtype: torch.dtype | None = None, rank: int = 0,
                    world_size: int = 1, progress: bool = True, description: str = "train") -> EpochStats:
    """One pass over `images_uint8` (this rank's share of it), in random order drawn from `generator`."""
    model.train()
    order = torch.randperm(len(images_uint8), generator=generator)[rank::world_size]
    steps = len(order) // batch_size  # drop the ragged last batch: every rank takes the same number of steps
    total_loss, seen, start = 0.0, 0, time.perf_counter()
    bar = tqdm(range(steps), desc=description, disable=not progress, leave=False, dynamic_ncols=True)
    for step in bar:
        index = order[step * batch_size:(step + 1) * batch_size]
        batch = to_float(images_uint8[index].to(device, non_blocking=True))
        if augment:
            batch = random_flip(batch, generator)
        holes = make_holes(hole_family, len(index), batch.shape[-1], generator=generator).to(device)
        batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            reconstruction = model(batch, holes)
        loss = inpainting_loss(reconstruction.float(), batch, holes, loss_kind, loss_region)
        if not math.isfinite(loss.item()):
            raise NonFiniteLossError(f"the loss became {loss.item()} at step {step}; "
                                     "try a lower --lr (the last checkpoint is untouched)")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total_loss += loss.item() * len(index)
        seen += len(index)
        if step % 20 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}", img_s=f"{seen * world_size / (time.perf_counter() - start):.0f}")
    elapsed = time.perf_counter() - start
    return EpochStats(loss=total_loss / max(seen, 1), images_per_second=seen * world_size / max(elapsed, 1e-9))
