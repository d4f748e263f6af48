"""One training epoch: what a step does (`Recipe`), this rank's shard of the images (epoch_shard), its steps and loss.

The loop over epochs, checkpoints and logs live in trainer.py; scoring on fixed holes in evaluate.py.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, fields

import torch
import torch.distributed as dist
from tqdm import tqdm

from .convert import to_float
from .device import AUTOCAST_DTYPES, pick_precision
from .holes import make_holes
from .objective import step_losses
from .views import ViewConfig, small_crops
from .views import augment as augmented_view


# What a recipe that predates a field ran with, where that is not the field's default today
PREDATED = {"contrastive_weight": 0.0, "encoder_grad_scale": 1.0}


@dataclass(frozen=True)
class Recipe:
    """What a training step does, and for how long: the contract between the trainer, the engine, checkpoints
    (resume refuses a change) and bundles (config.json's "recipe", the model card). The defaults are the shipped
    default model's recipe."""
    holes: str = "mixed"            # hole family per image (holes.py); mixed: a random family and coverage
    epochs: int = 52                # passes over the training split; the cosine schedule spans them
    batch_size: int = 128           # images per step and process
    lr: float = 3e-3                # AdamW's peak learning rate
    weight_decay: float = 1e-4
    schedule: str = "cosine"        # cosine: linear warm-up then cosine decay to zero; constant: the tutorial's
    loss: str = "l1"                # l1 or mse
    loss_region: str = "hole"       # hole: average over missing pixels only; all: every pixel (the tutorial)
    augment: bool = True            # random horizontal flips
    contrastive_weight: float = 0.5  # > 0: also a joint loss between each masked image and an augmented view of it
    contrastive_stages: str = "all"  # the pooled encoder stages it acts on: all (what the probe reads) or deep
    contrastive_warmup: float = 0.0  # epochs over which its weight ramps up linearly from zero
    view_holes: bool = False        # True: the augmented view gets holes of its own; False: it is seen whole
    temperature: float = 0.2        # NT-Xent's temperature
    joint_loss: str = "nt_xent"     # nt_xent (SimCLR) or vicreg (on a 2048-wide expander)
    small_crops: int = 0            # extra 16x16 crops of every image as further positives (multi-crop)
    view_jitter: float = 0.4        # the views' brightness, contrast and saturation jitter; 0: colours kept
    view_gray: float = 0.2          # the share of views turned grayscale
    encoder_grad_scale: float = 1.0  # the joint loss's gradient into the shared encoder is scaled by this
    seed: int = 0
    precision: str = "auto"         # fp32, or bf16 autocast; auto: bf16 where it is fast (device.fast_bf16)

    @property
    def contrastive(self) -> bool:
        return self.contrastive_weight > 0

    @property
    def view_config(self) -> ViewConfig:
        return ViewConfig(jitter=self.view_jitter, gray_probability=self.view_gray)

    def contrastive_weight_at(self, step: int, steps_per_epoch: int) -> float:
        """The contrastive weight at global step `step` (from 0), after its warm-up."""
        ramp = self.contrastive_warmup * steps_per_epoch
        return self.contrastive_weight * (min(1.0, (step + 1) / ramp) if ramp > 0 else 1.0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Recipe":
        """A recipe from config.json or a checkpoint. Fields it predates take their defaults' value, except where
        the default changed since: a recipe older than the contrastive loss trained inpainting alone, and one older
        than the encoder's gradient scale sent the joint loss's whole gradient into the encoder."""
        known = {f.name for f in fields(cls)}
        return cls(**PREDATED | {key: value for key, value in values.items() if key in known})


@dataclass(frozen=True)
class Placement:
    """Where an epoch runs: the device, and this process's rank among `world_size` (torchrun)."""
    device: torch.device = torch.device("cpu")
    rank: int = 0
    world_size: int = 1


@dataclass(frozen=True)
class EpochGenerators:
    order: torch.Generator  # the epoch's image order: the same on every rank
    own: torch.Generator    # this rank's flips, holes and views

    @classmethod
    def single(cls, seed: int = 0) -> "EpochGenerators":
        """One process: the order and the draws from one seeded generator."""
        generator = torch.Generator().manual_seed(seed)
        return cls(generator, generator)


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


def autocast_context(recipe: Recipe, device: torch.device):
    dtype = AUTOCAST_DTYPES[pick_precision(recipe.precision, device)]
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


def train_one_epoch(trained, optimizer, scheduler, images_uint8: torch.Tensor, recipe: Recipe,
                    generators: EpochGenerators, placement: Placement = Placement(),
                    progress: str | None = None) -> EpochStats:
    """One pass over this rank's shard of `images_uint8` (see epoch_shard), as `recipe` says.

    `trained` is an objective.Objective (or a wrapper of one: DDP, torch.compile): (images, holes, view,
    view_holes, crops) -> (reconstruction, projections). With the joint loss on, every image also gets an
    augmented view (and the recipe's small crops), and the step minimises inpainting + weight * joint loss.
    `progress` is the progress bar's label (None: no bar). Raises NonFiniteLossError after a step whose loss is not
    finite.
    """
    trained.train()
    device, world_size = placement.device, placement.world_size
    shard = epoch_shard(len(images_uint8), recipe.batch_size, placement.rank, world_size, generators.order)
    steps, generator = len(shard) // recipe.batch_size, generators.own
    # Set up once, not per step. Images stored channels_last (as the trainer stores them) index into
    # channels_last batches, so the per-step conversion below is then a no-op.
    autocast = autocast_context(recipe, device)
    totals, seen, start = [0.0, 0.0, 0.0], 0, time.perf_counter()
    bar = tqdm(range(steps), desc=progress, disable=progress is None, leave=False, dynamic_ncols=True)
    for step in bar:
        index = shard[step * recipe.batch_size:(step + 1) * recipe.batch_size]
        batch = images_uint8[index].to(device, non_blocking=True)  # uint8 (B, 3, H, W)
        if recipe.augment:
            batch = random_flip(batch, generator)  # on uint8: a quarter of the bytes of float
        batch = to_float(batch).contiguous(memory_format=torch.channels_last)
        holes = make_holes(recipe.holes, len(index), batch.shape[-1], generator=generator).to(device)
        view = view_holes = crops = None
        if recipe.contrastive:
            view = augmented_view(batch, generator, recipe.view_config).contiguous(memory_format=torch.channels_last)
            view_holes = (make_holes(recipe.holes, len(index), batch.shape[-1], generator=generator).to(device)
                          if recipe.view_holes else torch.zeros_like(holes))
            if recipe.small_crops:
                crops = small_crops(batch, recipe.small_crops, generator, recipe.view_config).contiguous(
                    memory_format=torch.channels_last)
        with autocast:
            reconstruction, projections = trained(batch, holes, view, view_holes, crops)
        weight = recipe.contrastive_weight_at(scheduler.last_epoch, steps)
        losses = step_losses(inpainting_loss(reconstruction.float(), batch, holes, recipe.loss, recipe.loss_region),
                             projections, weight, recipe.temperature, recipe.joint_loss, 2 + recipe.small_crops)
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
                      inpainting_loss=inpainting, contrastive_loss=contrastive_loss if recipe.contrastive else None)
