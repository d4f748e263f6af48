"""One training epoch: this rank's shard of the images (epoch_shard), its steps and its loss.

The loop over epochs, checkpoints and logs live in trainer.py; scoring on fixed holes in evaluate.py.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
from tqdm import tqdm

from .convert import to_float
from .holes import make_holes
from .objective import stacked_views, step_losses


class NonFiniteLossError(RuntimeError):
    """A step's loss was NaN or infinite; the step has already been taken, so the weights are suspect."""


def random_flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Horizontal flip of a random half of the batch, in one tensor op (any dtype; the memory format is kept)."""
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


def epoch_steps(n_images: int, batch_size: int, world_size: int = 1) -> int:
    """Whole batches each rank takes in an epoch: the same number on every rank, whatever `n_images`."""
    return n_images // (world_size * batch_size)


def epoch_shard(n_images: int, batch_size: int, rank: int, world_size: int,
                generator: torch.Generator) -> torch.Tensor:
    """This rank's image indices for one epoch, in training order.

    One permutation drawn from `generator`, which must be the same on every rank, is cut into `world_size`
    disjoint shards of equal length, each a whole number of batches. The fewer than world_size * batch_size
    images left over sit out this epoch (another epoch's order brings them in).
    """
    shard = epoch_steps(n_images, batch_size, world_size) * batch_size
    order = torch.randperm(n_images, generator=generator)
    return order[rank * shard:(rank + 1) * shard]


def non_finite_weights(model: torch.nn.Module) -> list[str]:
    """Names of the parameters and buffers holding a NaN or an infinity."""
    return [name for name, tensor in model.state_dict().items()
            if tensor.is_floating_point() and not torch.isfinite(tensor).all()]


def mean_over_ranks(value: torch.Tensor, world_size: int) -> torch.Tensor:
    """The mean of a scalar over every process, so that all ranks see (and act on) the same loss."""
    if world_size == 1:
        return value
    value = value.clone()
    dist.all_reduce(value)
    return value / world_size


@dataclass
class EpochStats:
    loss: float                     # the minimised total: inpainting, plus the weighted contrastive loss if on
    images_per_second: float
    inpainting_loss: float | None = None
    contrastive_loss: float | None = None  # None when the contrastive loss is off


def train_one_epoch(model, optimizer, scheduler, images_uint8: torch.Tensor, *, batch_size: int, hole_family: str,
                    loss_kind: str, loss_region: str, augment: bool, generator: torch.Generator,
                    device: torch.device, autocast_dtype: torch.dtype | None = None, rank: int = 0,
                    world_size: int = 1, order_generator: torch.Generator | None = None, progress: bool = True,
                    description: str = "train", contrastive_weight: float = 0.0,
                    temperature: float = 0.2) -> EpochStats:
    """One pass over this rank's shard of `images_uint8` (see epoch_shard).

    `model` is an objective.Objective (or a wrapper of one: DDP, torch.compile): (images, holes, views) ->
    (reconstruction, projections). With `contrastive_weight` > 0 each batch also yields two augmented views, and
    the step minimises inpainting + contrastive_weight * NT-Xent. The order comes from `order_generator`, the same
    on every rank (default: `generator`); flips, holes and views from `generator`, this rank's own. Raises
    NonFiniteLossError after a step whose loss is not finite.
    """
    model.train()
    shard = epoch_shard(len(images_uint8), batch_size, rank, world_size,
                        generator if order_generator is None else order_generator)
    steps = len(shard) // batch_size
    # Set up once, not per step. Images stored channels_last (as the trainer stores them) index into
    # channels_last batches, so the per-step conversion below is then a no-op.
    autocast = (torch.autocast(device.type, dtype=autocast_dtype) if autocast_dtype is not None
                else contextlib.nullcontext())
    contrastive = contrastive_weight > 0
    totals, seen, start = [0.0, 0.0, 0.0], 0, time.perf_counter()
    bar = tqdm(range(steps), desc=description, disable=not progress, leave=False, dynamic_ncols=True)
    for step in bar:
        index = shard[step * batch_size:(step + 1) * batch_size]
        batch = images_uint8[index].to(device, non_blocking=True)  # uint8 (B, 3, H, W)
        if augment:
            batch = random_flip(batch, generator)  # on uint8: a quarter of the bytes of float
        batch = to_float(batch).contiguous(memory_format=torch.channels_last)
        holes = make_holes(hole_family, len(index), batch.shape[-1], generator=generator).to(device)
        views = stacked_views(batch, generator) if contrastive else None
        with autocast:
            reconstruction, projections = model(batch, holes, views)
        losses = step_losses(inpainting_loss(reconstruction.float(), batch, holes, loss_kind, loss_region),
                             projections, contrastive_weight, temperature)
        optimizer.zero_grad(set_to_none=True)
        losses.total.backward()
        optimizer.step()
        scheduler.step()
        parts = torch.stack([losses.total, losses.inpainting, losses.contrastive]).detach()
        values = mean_over_ranks(parts, world_size).tolist()  # the step's one host sync
        if not math.isfinite(values[0]):
            raise NonFiniteLossError(f"the loss became {values[0]} at step {step + 1} of {steps}")
        totals = [total + value * len(index) for total, value in zip(totals, values)]
        seen += len(index)
        if step % 20 == 0:
            bar.set_postfix(loss=f"{values[0]:.4f}", img_s=f"{seen * world_size / (time.perf_counter() - start):.0f}")
    elapsed = time.perf_counter() - start
    total, inpainting, contrastive_loss = (value / max(seen, 1) for value in totals)
    return EpochStats(loss=total, images_per_second=seen * world_size / max(elapsed, 1e-9),
                      inpainting_loss=inpainting, contrastive_loss=contrastive_loss if contrastive else None)
