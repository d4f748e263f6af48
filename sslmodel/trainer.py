"""Training setup and the epoch loop: data, model, optimizer, checkpoints, logging, the final bundle.

One epoch's work is engine.train_one_epoch; this module owns everything around it. Runs as one process
or under `torchrun` (DistributedDataParallel, gloo on CPU, nccl on GPU), where only rank 0 writes files.
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
from .convert import png_bytes, to_float
from .data import load_dataset
from .device import (
    AUTOCAST_DTYPES,
    DeviceError,
    cpu_count,
    fast_bf16,
    hardware_description,
    pick_device,
    pick_precision,
)
from .evaluate import evaluate_model, reconstruct
from .holes import EVAL_FAMILIES, fixed_holes
from .models import DEFAULT_ARCH, MODELS, build_model
from .objective import Objective

CHECKPOINT_NAME = "checkpoint.pt"
LOG_NAME = "log.jsonl"
CHECKPOINT_KEYS = {"model", "optimizer", "scheduler", "epoch", "history", "elapsed_seconds", "config"}
RECIPE_FIELDS = ("holes", "epochs", "batch_size", "lr", "weight_decay", "schedule", "loss", "loss_region", "augment",
                 "seed", "precision", "contrastive_weight", "temperature")
SAMPLE_COUNT = 8  # validation images shown in the per-epoch sample grid and the bundle's frames


@dataclass
class TrainConfig:
    data: str = "cifar10"
    out: str = "runs/default"
    arch: str = DEFAULT_ARCH
    arch_config: dict = field(default_factory=dict)
    holes: str = "mixed"
    epochs: int = 30
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"        # cosine: linear warm-up then cosine decay to zero; constant: the tutorial's
    loss: str = "l1"                # l1 or mse
    loss_region: str = "hole"       # hole: average over missing pixels only; all: every pixel (the tutorial)
    augment: bool = True            # random horizontal flips
    contrastive_weight: float = 0.0  # > 0: also NT-Xent on two augmented views of each batch, times this weight
    temperature: float = 0.2        # NT-Xent's temperature
    seed: int = 0
    precision: str = "auto"         # fp32, or bf16 autocast; auto: bf16 where it is fast (device.fast_bf16)
    device: str = "auto"
    compile: bool | None = None     # torch.compile the training forward; None: if the architecture trains faster so
    threads: int = 0                # CPU threads per process; 0: the machine's cores shared among processes
    val_images_per_epoch: int = 2000  # per-epoch validation subset; the final metrics use the whole split
    cache_dir: str = "~/.cache/sslmodel"

    def recipe(self) -> dict:
        return {key: getattr(self, key) for key in RECIPE_FIELDS}


class TrainingError(RuntimeError):
    """Training cannot go on; the message says why. Nothing already saved has been touched."""


def one_line(error: BaseException, limit: int = 300) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def seeded_generator(*key) -> torch.Generator:
    """A CPU generator whose seed depends only on `key` (strings and ints)."""
    digest = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little"))


def epoch_generators(seed: int, epoch: int, rank: int) -> tuple[torch.Generator, torch.Generator]:
    """(order, this rank's): the order is the same on every rank, flips and holes differ per rank. Both depend
    only on (seed, epoch, rank), so resuming replays an epoch exactly."""
    return seeded_generator("order", seed, epoch), seeded_generator("rank", seed, epoch, rank)


def check_out_folder(out: Path) -> None:
    """`out` must be a folder or creatable as one: nothing on its way may be a file."""
    existing = next(path for path in (out, *out.parents) if path.exists())
    if not existing.is_dir():
        raise TrainingError(f"--out {out}: {existing} is a file, not a folder")


def read_checkpoint(path: Path) -> dict:
    if not path.exists():
        raise TrainingError(f"no {CHECKPOINT_NAME} in {path.parent} to resume; drop --resume to start a new run")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises EOFError, RuntimeError, UnpicklingError, ... for a bad file
        raise TrainingError(f"{path} is truncated, corrupt or not a weights-only checkpoint written by train.py "
                            f"({type(error).__name__}); move it away to start a new run") from None
    if not isinstance(state, dict) or not CHECKPOINT_KEYS <= set(state) or not isinstance(state["config"], dict):
        raise TrainingError(f"{path} is not a checkpoint written by train.py; move it away to start a new run")
    return state


def recipe_changes(saved: dict, config: TrainConfig, world_size: int) -> list[str]:
    """What resuming the checkpoint `saved` with `config` on `world_size` processes would change, as
    "--flag old -> new"; any change breaks the schedule and the replay of the epochs. `config.precision` is
    the one this run resolved (never auto); a checkpoint older than a field is not compared on it."""
    def show(value) -> str:
        return json.dumps(value) if isinstance(value, dict) else str(value)

    pairs = {f"--{key.replace('_', '-')}": (saved["config"][key], getattr(config, key))
             for key in ("arch", "arch_config", *RECIPE_FIELDS) if key in saved["config"]}
    pairs["processes"] = (saved.get("world_size", world_size), world_size)
    return [f"{name} {show(then)} -> {show(now)}" for name, (then, now) in pairs.items() if then != now]


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


def build_optimizer(model: torch.nn.Module, config: TrainConfig, total_steps: int, device: torch.device):
    """AdamW and its learning-rate schedule (a LambdaLR stepped once per step) for `total_steps` steps."""
    # fused: one kernel for all parameters, and no host read of the step count (measured 3-5% of a CPU step)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                  betas=(0.9, 0.99) if config.schedule == "cosine" else (0.9, 0.999),
                                  fused=device.type in ("cpu", "cuda") or None)
    factor = (engine.warmup_cosine(total_steps, min(500, total_steps // 20 + 1)) if config.schedule == "cosine"
              else (lambda step: 1.0))
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class Run:
    """The state of one training run, from set-up to the final bundle."""

    def __init__(self, config: TrainConfig, command: str = "", resume: bool = False):
        config = replace(config, compile=compiles(config))  # resolved once: the checkpoint and bundle say what ran
        self.config, self.command, self.resume = config, command, resume
        self.out = Path(config.out)
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.distributed = self.world_size > 1
        try:
            self.device = pick_device(config.device)
        except DeviceError as error:
            raise TrainingError(f"--device: {error}") from None
        # From here on the config holds the precision this run uses, never "auto": the checkpoint, the resume
        # check and the bundle's recipe all record what the weights were trained in.
        try:
            self.config = config = replace(config, precision=pick_precision(config.precision, self.device))
        except DeviceError as error:
            raise TrainingError(f"--precision: {error}") from None
        if self.distributed:
            local_rank = int(os.environ.get("LOCAL_RANK", "0"))
            if self.device.type == "cuda":
                self.device = torch.device("cuda", local_rank)
                torch.cuda.set_device(self.device)
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        if self.device.type == "cpu":
            local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.world_size)))
            torch.set_num_threads(config.threads or max(1, cpu_count() // local_world))
        self.autocast_dtype = AUTOCAST_DTYPES[config.precision]
        self.is_main = self.rank == 0
        if config.precision == "bf16" and not fast_bf16(self.device):
            self.log(f"warning: {self.device} has no fast bfloat16 kernels (on a CPU: no AVX512_BF16 or AMX); "
                     "bf16 will be slower than fp32")

    def log(self, message: str) -> None:
        if self.is_main:
            print(message, flush=True)

    def prepare(self) -> None:
        """Everything that can be checked without the data is checked before it loads."""
        config = self.config
        check_out_folder(self.out)
        self.resume_state = self.read_resume_state()
        torch.manual_seed(config.seed)
        self.model = build(config.arch, config.arch_config).to(self.device, memory_format=torch.channels_last)
        # The model and, with the contrastive loss, its projection head: one module for DDP, compile and AdamW.
        self.objective = Objective(self.model, contrastive=config.contrastive_weight > 0).to(self.device)
        self.load_data()
        self.optimizer, self.scheduler = build_optimizer(self.objective, config,
                                                         self.steps_per_epoch * config.epochs, self.device)
        self.start_epoch, self.history, self.elapsed = 0, [], 0.0
        if self.resume_state:
            self.restore(self.resume_state)
        self.saved_epoch = self.start_epoch  # the epoch of the checkpoint on disk (0: none)
        self.trained = (torch.nn.parallel.DistributedDataParallel(self.objective) if self.distributed
                        else self.objective)
        if config.compile:  # only the training forward: evaluation and the saved weights use the plain module
            self.trained = torch.compile(self.trained)

    def read_resume_state(self) -> dict | None:
        checkpoint_path = self.out / CHECKPOINT_NAME
        if not self.resume:
            if checkpoint_path.exists():
                raise TrainingError(f"{self.out} already holds a training run; pass --resume to continue it, "
                                    "or choose another --out")
            return None
        state = read_checkpoint(checkpoint_path)
        changes = recipe_changes(state, self.config, self.world_size)
        if changes:
            raise TrainingError(f"{checkpoint_path} was trained with other settings ({'; '.join(changes)}); "
                                "resume with the same ones, or choose another --out")
        return state

    def load_data(self) -> None:
        config = self.config
        self.log(f"loading data from {config.data} ...")
        self.dataset = load_dataset(config.data, config.cache_dir)
        train, val = self.dataset.train, self.dataset.val
        if len(val.images) == 0:
            raise TrainingError(f"{config.data} is too small to hold out a validation split")
        self.steps_per_epoch = engine.epoch_steps(len(train.images), config.batch_size, self.world_size)
        if self.steps_per_epoch == 0:
            raise TrainingError(f"{len(train.images)} training images are fewer than one batch of "
                                f"{config.batch_size} per process; lower --batch-size")
        self.log(f"{len(train.images)} training and {len(val.images)} validation images, on {self.device}")
        # channels_last once, here, rather than a conversion of every batch
        self.train_images = train.images.to(self.device).contiguous(memory_format=torch.channels_last)
        self.val_subset = val.images[:config.val_images_per_epoch] if len(val.images) <= config.val_images_per_epoch \
            else val.images[torch.linspace(0, len(val.images) - 1, config.val_images_per_epoch).long()]
        sample_index = torch.linspace(0, len(val.images) - 1, min(SAMPLE_COUNT, len(val.images))).long()
        self.sample_images = to_float(val.images[sample_index])
        self.sample_holes = fixed_holes("mixed", len(sample_index), self.sample_images.shape[-1], seed=1)

    def restore(self, state: dict) -> None:
        try:
            self.model.load_state_dict(state["model"])
            if self.objective.projector is not None:
                self.objective.projector.load_state_dict(state["projector"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
        except (RuntimeError, KeyError, ValueError, TypeError) as error:
            raise TrainingError(f"{self.out / CHECKPOINT_NAME} does not fit this model: {one_line(error)}") from None
        self.start_epoch, self.history, self.elapsed = state["epoch"], state["history"], state["elapsed_seconds"]
        self.log(f"resuming {CHECKPOINT_NAME} after epoch {self.start_epoch}")

    def untouched(self) -> str:
        return f"the checkpoint of epoch {self.saved_epoch} is untouched" if self.saved_epoch else "nothing was saved"

    def check_weights(self, when: str) -> None:
        """Never save a broken model: every weight must be finite."""
        broken = engine.non_finite_weights(self.objective)
        if broken:
            raise TrainingError(f"{len(broken)} weight tensor(s) became NaN or infinite {when} (first: {broken[0]}); "
                                f"try a lower --lr ({self.untouched()})")

    def write_log(self) -> None:
        """log.jsonl from the history, atomically: a resumed run's log agrees with its checkpoint."""
        with atomic_path(self.out / LOG_NAME) as tmp:
            tmp.write_text("".join(json.dumps(row) + "\n" for row in self.history), encoding="utf-8")

    def save_pictures(self, epoch: int) -> None:
        reconstruction = reconstruct(self.model, self.sample_images, self.sample_holes)
        masked = self.sample_images * (~self.sample_holes).unsqueeze(1)
        grid = plots.image_grid([self.sample_images, masked, reconstruction], scale=1, gap=0)
        with atomic_path(self.out / "samples" / f"epoch_{epoch:03d}.png") as tmp:
            tmp.write_bytes(png_bytes(grid, optimize=True))  # one per epoch in every bundle: keep them small
        series = {"train loss": [r["loss"] for r in self.history]}
        series |= {f"val hole PSNR, {f} (dB)": [r["val_hole_psnr"][f] for r in self.history] for f in EVAL_FAMILIES}
        with atomic_path(self.out / "curves.png") as tmp:
            plots.curves(series).save(tmp, format="PNG")

    def save_checkpoint(self, epoch: int) -> None:
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "projector": self.objective.projector.state_dict() if self.objective.projector else None,
                 "scheduler": self.scheduler.state_dict(), "epoch": epoch, "history": self.history,
                 "elapsed_seconds": self.elapsed, "config": asdict(self.config), "world_size": self.world_size}
        with atomic_path(self.out / CHECKPOINT_NAME) as tmp:
            torch.save(state, tmp)
        self.saved_epoch = epoch

    def end_epoch(self, epoch: int, stats: engine.EpochStats) -> None:
        """Rank 0: score, then the checkpoint, then the log row (a crash in between never duplicates a row)."""
        val_metrics = evaluate_model(self.model, self.val_subset)
        row = {"epoch": epoch, "loss": stats.loss, "images_per_second": stats.images_per_second,
               "lr": self.scheduler.get_last_lr()[0], "elapsed_seconds": self.elapsed,
               "val_hole_psnr": {family: m["hole_psnr"] for family, m in val_metrics.items()}}
        if stats.contrastive_loss is not None:
            row |= {"inpainting_loss": stats.inpainting_loss, "contrastive_loss": stats.contrastive_loss}
        self.history.append(row)
        self.save_checkpoint(epoch)
        with open(self.out / LOG_NAME, "a", encoding="utf-8") as log:
            log.write(json.dumps(row) + "\n")
        self.save_pictures(epoch)
        scores = "  ".join(f"{f} {m['hole_psnr']:.2f}" for f, m in val_metrics.items())
        self.log(f"epoch {epoch}: loss {stats.loss:.4f}, {stats.images_per_second:.0f} img/s, "
                 f"val hole PSNR (dB): {scores}")

    def train_epoch(self, epoch: int) -> engine.EpochStats:
        config = self.config
        order, own = epoch_generators(config.seed, epoch, self.rank)
        try:
            return engine.train_one_epoch(
                self.trained, self.optimizer, self.scheduler, self.train_images, batch_size=config.batch_size,
                hole_family=config.holes, loss_kind=config.loss, loss_region=config.loss_region,
                augment=config.augment, generator=own, order_generator=order, device=self.device,
                autocast_dtype=self.autocast_dtype, rank=self.rank, world_size=self.world_size,
                progress=self.is_main, description=f"epoch {epoch}/{config.epochs}",
                contrastive_weight=config.contrastive_weight, temperature=config.temperature)
        except engine.NonFiniteLossError as error:
            raise TrainingError(f"{error} of epoch {epoch}; try a lower --lr ({self.untouched()})") from None
        except Exception as error:  # torch.compile needs a working C++ (or Triton) toolchain; say so in one line
            if config.compile and type(error).__module__.startswith(("torch._dynamo", "torch._inductor")):
                raise TrainingError(f"torch.compile failed ({one_line(error, 200)}); train with --no-compile "
                                    f"({self.untouched()})") from None
            raise

    def train(self) -> None:
        if self.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            if self.history or (self.out / LOG_NAME).exists():
                self.write_log()  # rows a crash left after the checkpoint go; rows it lost come back
        for epoch in range(self.start_epoch + 1, self.config.epochs + 1):
            started = time.perf_counter()
            stats = self.train_epoch(epoch)
            self.elapsed += time.perf_counter() - started
            self.check_weights(f"in epoch {epoch}")  # on every rank: DDP keeps their weights identical
            if self.is_main:
                self.end_epoch(epoch, stats)
            if self.distributed:
                dist.barrier()

    def finish(self, push_to_hub: str | None = None) -> Path | None:
        """Evaluate on the whole validation split and write the bundle (rank 0)."""
        if not self.is_main:
            return None
        config = self.config
        self.check_weights("before the bundle was written")
        self.log(f"final validation on {len(self.dataset.val.images)} images ...")
        val_metrics = evaluate_model(self.model, self.dataset.val.images, with_ssim=True)
        bundle_config = {
            "arch": config.arch, "arch_config": config.arch_config, "recipe": config.recipe(), "metrics": val_metrics,
            "training": {
                "command": self.command, "data": config.data, "train_images": len(self.dataset.train.images),
                "val_images": len(self.dataset.val.images), "val_fingerprint": self.dataset.val_fingerprint,
                "epochs_completed": len(self.history), "compiled": config.compile,
                "wall_time_seconds": round(self.elapsed, 1), "hardware": hardware_description(self.device,
                                                                                              self.world_size),
                "parameters": sum(p.numel() for p in self.model.parameters()), "history": self.history,
            },
        }
        frames = {path.name: path.read_bytes() for path in sorted((self.out / "samples").glob("epoch_*.png"))}
        save_bundle(self.model, self.out, bundle_config, frames)
        self.log(f"bundle written to {self.out}: " + "  ".join(
            f"{family} {m['hole_psnr']:.2f} dB" for family, m in val_metrics.items()))
        if push_to_hub:
            self.log(f"pushing to the Hub as {push_to_hub} ...")
            self.log(f"pushed: {push_bundle(self.out, push_to_hub)}")
        return self.out

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def train(config: TrainConfig, *, resume: bool = False, push_to_hub: str | None = None, command: str = "") -> Path | None:
    run = Run(config, command, resume)
    try:
        run.prepare()
        run.train()
        return run.finish(push_to_hub)
    finally:
        run.close()
