"""A training run in four stages, in this order (MAE's main/engine split):

1. set-up (`set_up`): the device, the ranks under torchrun, threads, the precision and compile resolved once;
2. state (`build_state`): the data, the model and its objective, the optimizer, a resumed checkpoint;
3. the epoch loop (`train_epochs`): engine.train_one_epoch, then on rank 0 the scores, checkpoint, log, pictures;
4. finish (`finish`): the whole validation split scored and the bundle written (and pushed).

Runs as one process or under `torchrun` (DistributedDataParallel, gloo on CPU, nccl on GPU); only rank 0 writes.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
import torch.distributed as dist

from . import engine, plots
from .atomic import atomic_path
from .bundle import push_bundle, save_bundle
from .bundle_config import BundleConfig, TrainingRecord
from .checkpoint import CHECKPOINT_NAME, CheckpointError, changes, read_checkpoint, write_checkpoint
from .convert import png_bytes, to_float
from .data import Dataset, load_dataset
from .device import DeviceError, cpu_count, fast_bf16, hardware_description, pick_device, pick_precision
from .engine import EpochGenerators, Placement, Recipe
from .evaluate import evaluate_model, reconstruct
from .holes import EVAL_FAMILIES, fixed_holes
from .models import DEFAULT_ARCH, DEFAULT_ARCH_CONFIG, MODELS, build_model
from .objective import Objective

LOG_NAME = "log.jsonl"
SAMPLE_COUNT = 8  # validation images shown in the per-epoch sample grid and the bundle's frames


@dataclass(frozen=True)
class TrainConfig:
    """A run: where the data and the outputs are, the architecture, the recipe, and how to run it. The defaults
    train the shipped default model."""
    data: str = "cifar10"
    out: str = "runs/default"
    arch: str = DEFAULT_ARCH
    arch_config: dict = field(default_factory=lambda: dict(DEFAULT_ARCH_CONFIG))
    recipe: Recipe = field(default_factory=Recipe)
    device: str = "auto"
    compile: bool | None = None     # torch.compile the training forward; None: if the architecture trains faster so
    threads: int = 0                # CPU threads per process; 0: the machine's cores shared among processes
    val_images_per_epoch: int = 2000  # per-epoch validation subset; the final metrics use the whole split
    cache_dir: str = "~/.cache/sslmodel"


class TrainingError(RuntimeError):
    """Training cannot go on; the message says why. Nothing already saved has been touched."""


def one_line(error: BaseException, limit: int = 300) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def seeded_generator(*key) -> torch.Generator:
    """A CPU generator whose seed depends only on `key` (strings and ints)."""
    digest = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little"))


def epoch_generators(seed: int, epoch: int, rank: int) -> EpochGenerators:
    """The order is the same on every rank, flips, holes and views differ per rank. Both depend only on
    (seed, epoch, rank), so resuming replays an epoch exactly."""
    return EpochGenerators(seeded_generator("order", seed, epoch), seeded_generator("rank", seed, epoch, rank))


def build(arch: str, arch_config: dict) -> torch.nn.Module:
    if arch not in MODELS:
        raise TrainingError(f"unknown architecture {arch!r}; choose one of {', '.join(sorted(MODELS))}")
    try:
        return build_model(arch, **arch_config)
    except (TypeError, ValueError, RuntimeError) as error:
        takes = ", ".join(name for name in inspect.signature(MODELS[arch]).parameters) or "nothing"
        raise TrainingError(f"--arch-config {json.dumps(arch_config)} does not fit {arch} (it takes: {takes}): "
                            f"{one_line(error)}") from None


def compiles(config: TrainConfig) -> bool:
    """Whether the training forward is compiled: --compile, else what the architecture measured faster with."""
    return config.compile if config.compile is not None else getattr(MODELS.get(config.arch), "compile_training",
                                                                      False)


def build_optimizer(module: torch.nn.Module, recipe: Recipe, total_steps: int, device: torch.device):
    """AdamW and its learning-rate schedule (a LambdaLR stepped once per step) for `total_steps` steps."""
    # fused: one kernel for all parameters, and no host read of the step count (measured 3-5% of a CPU step)
    optimizer = torch.optim.AdamW(module.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay,
                                  betas=(0.9, 0.99) if recipe.schedule == "cosine" else (0.9, 0.999),
                                  fused=device.type in ("cpu", "cuda") or None)
    factor = (engine.warmup_cosine(total_steps, min(500, total_steps // 20 + 1)) if recipe.schedule == "cosine"
              else (lambda step: 1.0))
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


# ---------------------------------------------------------------------------------------------- 1. set-up

@dataclass(frozen=True)
class Setup:
    """Where and how the run computes, resolved once: `config` records the precision and compile that ran."""
    config: TrainConfig
    placement: Placement

    @property
    def out(self) -> Path:
        return Path(self.config.out)

    @property
    def is_main(self) -> bool:
        return self.placement.rank == 0

    @property
    def distributed(self) -> bool:
        return self.placement.world_size > 1

    def log(self, message: str) -> None:
        if self.is_main:
            print(message, flush=True)


def set_up(config: TrainConfig) -> Setup:
    """The device, the process group under torchrun, the threads; `auto` precision and compile resolved."""
    # Denormal floats appear in the activations and gradients as training goes on, and a CPU computes on them
    # slowly: the step fell from 455 to 340 images/s by epoch 9 (2-core AMX Xeon). Flushed to zero it ran at 408.
    # Set before any parallel region, so that the worker threads, which copy it when they start, flush too.
    torch.set_flush_denormal(True)
    world_size, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    try:
        device = pick_device(config.device)
        # From here on the recipe holds the precision this run uses, never "auto": the checkpoint, the resume
        # check and the bundle's recipe all record what the weights were trained in.
        precision = pick_precision(config.recipe.precision, device)
    except DeviceError as error:
        raise TrainingError(f"--{'precision' if 'precision' in str(error) else 'device'}: {error}") from None
    config = replace(config, compile=compiles(config), recipe=replace(config.recipe, precision=precision))
    if world_size > 1:
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cpu":
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world_size)))
        torch.set_num_threads(config.threads or max(1, cpu_count() // local_world))
    setup = Setup(config, Placement(device, rank, world_size))
    if precision == "bf16" and not fast_bf16(device):
        setup.log(f"warning: {device} has no fast bfloat16 kernels (on a CPU: no AVX512_BF16 or AMX); "
                  "bf16 will be slower than fp32")
    return setup


def close(setup: Setup) -> None:
    if setup.distributed and dist.is_initialized():
        dist.destroy_process_group()


# ---------------------------------------------------------------------------------------------- 2. state

@dataclass(frozen=True)
class TrainingData:
    """The images a run uses, decoded once: training images on the device, validation subsets on the CPU."""
    dataset: Dataset
    train_images: torch.Tensor   # uint8 (N, 3, H, W), channels_last, on the device
    val_subset: torch.Tensor     # uint8, the images scored after every epoch
    sample_images: torch.Tensor  # float, the images of the per-epoch sample grid and the bundle's frames
    sample_holes: torch.Tensor
    steps_per_epoch: int


@dataclass
class RunState:
    """What the epochs change, and what they change it with."""
    model: torch.nn.Module        # the plain model: evaluation and the saved weights
    objective: Objective          # the model and, with the contrastive loss, its projection head
    trained: torch.nn.Module      # the objective as trained: wrapped by DDP and torch.compile when on
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    data: TrainingData
    start_epoch: int = 0
    history: list[dict] = field(default_factory=list)
    elapsed: float = 0.0
    saved_epoch: int = 0          # the epoch of the checkpoint on disk (0: none)

    def untouched(self) -> str:
        return f"the checkpoint of epoch {self.saved_epoch} is untouched" if self.saved_epoch else "nothing was saved"


def check_out_folder(out: Path) -> None:
    """`out` must be a folder or creatable as one: nothing on its way may be a file."""
    existing = next(path for path in (out, *out.parents) if path.exists())
    if not existing.is_dir():
        raise TrainingError(f"--out {out}: {existing} is a file, not a folder")


def resume_state(setup: Setup, resume: bool) -> dict | None:
    """The checkpoint to continue from (None for a new run), refused if the run's settings changed."""
    if not resume:
        if (setup.out / CHECKPOINT_NAME).exists():
            raise TrainingError(f"{setup.out} already holds a training run; pass --resume to continue it, "
                                "or choose another --out")
        return None
    try:
        state = read_checkpoint(setup.out)
    except CheckpointError as error:
        raise TrainingError(str(error)) from None
    changed = changes(state, asdict(setup.config), setup.placement.world_size)
    if changed:
        raise TrainingError(f"{setup.out / CHECKPOINT_NAME} was trained with other settings ({'; '.join(changed)}); "
                            "resume with the same ones, or choose another --out")
    return state


def load_training_data(setup: Setup) -> TrainingData:
    config, recipe = setup.config, setup.config.recipe
    setup.log(f"loading data from {config.data} ...")
    dataset = load_dataset(config.data, config.cache_dir)
    train, val = dataset.train, dataset.val
    if len(val.images) == 0:
        raise TrainingError(f"{config.data} is too small to hold out a validation split")
    steps = engine.epoch_steps(len(train.images), recipe.batch_size, setup.placement.world_size)
    if steps == 0:
        raise TrainingError(f"{len(train.images)} training images are fewer than one batch of "
                            f"{recipe.batch_size} per process; lower --batch-size")
    setup.log(f"{len(train.images)} training and {len(val.images)} validation images, on {setup.placement.device}")
    count = min(config.val_images_per_epoch, len(val.images))
    sample_index = torch.linspace(0, len(val.images) - 1, min(SAMPLE_COUNT, len(val.images))).long()
    return TrainingData(
        dataset=dataset,
        # channels_last once, here, rather than a conversion of every batch
        train_images=train.images.to(setup.placement.device).contiguous(memory_format=torch.channels_last),
        val_subset=val.images[torch.linspace(0, len(val.images) - 1, count).long()],
        sample_images=to_float(val.images[sample_index]),
        sample_holes=fixed_holes("mixed", len(sample_index), val.images.shape[-1], seed=1),
        steps_per_epoch=steps)


def restore(state: RunState, saved: dict, setup: Setup) -> None:
    try:
        state.model.load_state_dict(saved["model"])
        if state.objective.projector is not None:
            state.objective.projector.load_state_dict(saved["projector"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.scheduler.load_state_dict(saved["scheduler"])
    except (RuntimeError, KeyError, ValueError, TypeError) as error:
        raise TrainingError(f"{setup.out / CHECKPOINT_NAME} does not fit this model: {one_line(error)}") from None
    state.start_epoch = state.saved_epoch = saved["epoch"]
    state.history, state.elapsed = saved["history"], saved["elapsed_seconds"]
    setup.log(f"resuming {CHECKPOINT_NAME} after epoch {state.start_epoch}")


def build_state(setup: Setup, resume: bool = False) -> RunState:
    """Everything that can be checked without the data is checked before it loads."""
    config, recipe, device = setup.config, setup.config.recipe, setup.placement.device
    check_out_folder(setup.out)
    saved = resume_state(setup, resume)
    torch.manual_seed(recipe.seed)
    model = build(config.arch, config.arch_config).to(device, memory_format=torch.channels_last)
    # One module for DDP, compile and AdamW: the model and, with the contrastive loss, its projection head.
    objective = Objective(model, recipe.contrastive, recipe.contrastive_stages, recipe.joint_loss,
                          recipe.encoder_grad_scale).to(device)
    data = load_training_data(setup)
    optimizer, scheduler = build_optimizer(objective, recipe, data.steps_per_epoch * recipe.epochs, device)
    trained = torch.nn.parallel.DistributedDataParallel(objective) if setup.distributed else objective
    if config.compile:  # only the training forward: evaluation and the saved weights use the plain module
        trained = torch.compile(trained)
    state = RunState(model, objective, trained, optimizer, scheduler, data)
    if saved:
        restore(state, saved, setup)
    return state


# ---------------------------------------------------------------------------------------------- 3. epochs

def check_weights(state: RunState, when: str) -> None:
    """Never save a broken model: every weight must be finite."""
    broken = engine.non_finite_weights(state.objective)
    if broken:
        raise TrainingError(f"{len(broken)} weight tensor(s) became NaN or infinite {when} (first: {broken[0]}); "
                            f"try a lower --lr ({state.untouched()})")


def write_log(out: Path, history: list[dict]) -> None:
    """log.jsonl from the history, atomically: a resumed run's log agrees with its checkpoint."""
    with atomic_path(out / LOG_NAME) as tmp:
        tmp.write_text("".join(json.dumps(row) + "\n" for row in history), encoding="utf-8")


def save_pictures(out: Path, state: RunState, epoch: int) -> None:
    """The epoch's sample grid (original / masked / reconstruction; it becomes a frame of the bundle) and curves."""
    images, holes = state.data.sample_images, state.data.sample_holes
    masked = images * (~holes).unsqueeze(1)
    grid = plots.image_grid([images, masked, reconstruct(state.model, images, holes)], scale=1, gap=0)
    with atomic_path(out / "samples" / f"epoch_{epoch:03d}.png") as tmp:
        tmp.write_bytes(png_bytes(grid, optimize=True))  # one per epoch in every bundle: keep them small
    series = {"train loss": [r["loss"] for r in state.history]}
    series |= {f"val hole PSNR, {f} (dB)": [r["val_hole_psnr"][f] for r in state.history] for f in EVAL_FAMILIES}
    with atomic_path(out / "curves.png") as tmp:
        plots.curves(series).save(tmp, format="PNG")


def save_checkpoint(setup: Setup, state: RunState, epoch: int) -> None:
    projector = state.objective.projector
    write_checkpoint(setup.out, {
        "model": state.model.state_dict(), "projector": projector.state_dict() if projector else None,
        "optimizer": state.optimizer.state_dict(), "scheduler": state.scheduler.state_dict(), "epoch": epoch,
        "history": state.history, "elapsed_seconds": state.elapsed, "config": asdict(setup.config),
        "world_size": setup.placement.world_size})
    state.saved_epoch = epoch


def end_epoch(setup: Setup, state: RunState, epoch: int, stats: engine.EpochStats) -> None:
    """Rank 0: score, then the checkpoint, then the log row (a crash in between never duplicates a row)."""
    val_metrics = evaluate_model(state.model, state.data.val_subset)
    row = {"epoch": epoch, "loss": stats.loss, "images_per_second": stats.images_per_second,
           "lr": state.scheduler.get_last_lr()[0], "elapsed_seconds": state.elapsed,
           "val_hole_psnr": {family: m["hole_psnr"] for family, m in val_metrics.items()}}
    if stats.contrastive_loss is not None:
        row |= {"inpainting_loss": stats.inpainting_loss, "contrastive_loss": stats.contrastive_loss}
    state.history.append(row)
    save_checkpoint(setup, state, epoch)
    with open(setup.out / LOG_NAME, "a", encoding="utf-8") as log:
        log.write(json.dumps(row) + "\n")
    save_pictures(setup.out, state, epoch)
    scores = "  ".join(f"{f} {m['hole_psnr']:.2f}" for f, m in val_metrics.items())
    setup.log(f"epoch {epoch}: loss {stats.loss:.4f}, {stats.images_per_second:.0f} img/s, "
              f"val hole PSNR (dB): {scores}")


def run_epoch(setup: Setup, state: RunState, epoch: int) -> engine.EpochStats:
    config = setup.config
    try:
        return engine.train_one_epoch(
            state.trained, state.optimizer, state.scheduler, state.data.train_images, config.recipe,
            epoch_generators(config.recipe.seed, epoch, setup.placement.rank), setup.placement,
            progress=f"epoch {epoch}/{config.recipe.epochs}" if setup.is_main else None)
    except engine.NonFiniteLossError as error:
        raise TrainingError(f"{error} of epoch {epoch}; try a lower --lr ({state.untouched()})") from None
    except Exception as error:  # torch.compile needs a working C++ (or Triton) toolchain; say so in one line
        if config.compile and type(error).__module__.startswith(("torch._dynamo", "torch._inductor")):
            raise TrainingError(f"torch.compile failed ({one_line(error, 200)}); train with --no-compile "
                                f"({state.untouched()})") from None
        raise


def train_epochs(setup: Setup, state: RunState) -> None:
    if setup.is_main:
        setup.out.mkdir(parents=True, exist_ok=True)
        if state.history or (setup.out / LOG_NAME).exists():
            write_log(setup.out, state.history)  # rows a crash left after the checkpoint go; rows it lost come back
    for epoch in range(state.start_epoch + 1, setup.config.recipe.epochs + 1):
        started = time.perf_counter()
        stats = run_epoch(setup, state, epoch)
        state.elapsed += time.perf_counter() - started
        check_weights(state, f"in epoch {epoch}")  # on every rank: DDP keeps their weights identical
        if setup.is_main:
            end_epoch(setup, state, epoch, stats)
        if setup.distributed:
            dist.barrier()


# ---------------------------------------------------------------------------------------------- 4. finish

def bundle_config(setup: Setup, state: RunState, metrics: dict, command: str) -> BundleConfig:
    config, dataset = setup.config, state.data.dataset
    return BundleConfig(
        arch=config.arch, arch_config=config.arch_config, recipe=config.recipe, metrics=metrics,
        training=TrainingRecord(
            command=command, data=config.data, train_images=len(dataset.train.images),
            val_images=len(dataset.val.images), val_fingerprint=dataset.val_fingerprint,
            epochs_completed=len(state.history), compiled=config.compile, wall_time_seconds=round(state.elapsed, 1),
            hardware=hardware_description(setup.placement.device, setup.placement.world_size),
            parameters=sum(p.numel() for p in state.model.parameters()), history=state.history))


def finish(setup: Setup, state: RunState, command: str = "", push_to_hub: str | None = None) -> Path | None:
    """Rank 0: score the whole validation split and write the bundle (and push it)."""
    if not setup.is_main:
        return None
    check_weights(state, "before the bundle was written")
    val_images = state.data.dataset.val.images
    setup.log(f"final validation on {len(val_images)} images ...")
    metrics = evaluate_model(state.model, val_images, with_ssim=True)
    frames = {path.name: path.read_bytes() for path in sorted((setup.out / "samples").glob("epoch_*.png"))}
    save_bundle(state.model, setup.out, bundle_config(setup, state, metrics, command), frames)
    setup.log(f"bundle written to {setup.out}: " + "  ".join(
        f"{family} {m['hole_psnr']:.2f} dB" for family, m in metrics.items()))
    if push_to_hub:
        setup.log(f"pushing to the Hub as {push_to_hub} ...")
        setup.log(f"pushed: {push_bundle(setup.out, push_to_hub)}")
    return setup.out


def train(config: TrainConfig, *, resume: bool = False, push_to_hub: str | None = None, command: str = "") -> Path | None:
    setup = set_up(config)
    try:
        state = build_state(setup, resume)
        train_epochs(setup, state)
        return finish(setup, state, command, push_to_hub)
    finally:
        close(setup)
