"""Few-label evaluation: how much does the inpainting encoder know about the classes it never saw?

    # the comparison table for the README and the model card (15-20 min on 2 idle CPU cores)
    python -m sslmodel.probe --data data/train --bundle default --labels 10 100 1000 --seeds 3 \\
        --json runs/probe_default.json --save-probe
    # only the shipping probes (pretrained encoder and raw pixels, 1,000 labels per class, seed 0)
    python -m sslmodel.probe --data data/train --bundle default --labels 1000 --seeds 1 \\
        --methods pretrained pixels --save-probe

Per seed, k training images per class are drawn (the draws are nested: the 10 are the first 10 of the
100, which are the first 100 of the 1,000), and every method is scored on the whole validation split:
    pretrained  the bundle's encoder (`model.features`), frozen, with a linear classifier on top
    random      the same architecture with random weights (torch.manual_seed(seed)), frozen, linear
    pixels      the flattened image in [0, 1] (3,072 numbers), linear
    finetune    encoder plus linear head trained end to end from the pretrained weights
    scratch     the same from the random weights, with the same labels, steps and optimizer
                (both heads start as the linear probe of the starting encoder)
Linear classifiers are multinomial logistic regression on features standardised with the training
subset's statistics, fitted by full-batch L-BFGS. Their L2 penalty is chosen per cell from a fixed grid by
the accuracy on a held-out fifth of the labelled images, never on the validation split: the best penalty
differs by orders of magnitude between 240 encoder features (the default width) and 3,072 pixels, so any
single value would handicap one of the baselines.
`--save-probe` writes probe.safetensors and probe.json into the bundle; `Probe` loads them for the app.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shlex
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from .atomic import atomic_path, write_text
from .bundle import PRETRAINED_DIR, WEIGHTS_NAME, BundleError, load_bundle, resolve
from .data import DataError, Dataset, load_dataset
from .engine import random_flip, to_float
from .inpainter import as_uint8_batch
from .models import build_model
from .trainer import hardware_description, warmup_cosine

PROBE_WEIGHTS = "probe.safetensors"
PROBE_CONFIG = "probe.json"
METHODS = {  # name -> the row label of the table, in table order
    "pretrained": "pretrained encoder, frozen, linear",
    "random": "random-weights encoder, frozen, linear",
    "pixels": "raw pixels, linear",
    "finetune": "fine-tuned end to end from pretrained",
    "scratch": "trained end to end from scratch",
}
VARIANCE_EPS = 1e-6  # features are standardised by sqrt(var + eps), as by MAE's BatchNorm probe head
L2_GRID = (10.0, 1.0, 0.1, 0.01, 1e-3, 1e-4)  # candidate penalties, strongest first (each fit warm-starts the next)
HOLDOUT_FRACTION = 0.2  # of each class's labelled images, held out to choose the penalty


@dataclass
class ProbeConfig:
    labels: tuple[int, ...] = (10, 100, 1000)  # training images per class, one table column each
    seeds: int = 3                  # seeds 0..seeds-1: label draws, random weights, fine-tuning order and flips
    methods: tuple[str, ...] = tuple(METHODS)
    l2: float | None = None         # L2 penalty: mean cross-entropy + l2/2 * |W|^2; None chooses it from L2_GRID
    lbfgs_iters: int = 300          # L-BFGS iteration cap per fit (the smallest penalties converge slowly)
    finetune_steps: int = 200       # optimizer steps of end-to-end training, the same for pretrained and scratch
    finetune_batch_size: int = 64
    finetune_lr: float = 3e-4       # AdamW peak, 10% warm-up then cosine to zero; 1e-3 scrambles short runs
    finetune_weight_decay: float = 0.01
    batch_size: int = 500           # images per forward pass when computing features


class ProbeError(RuntimeError):
    """A probe that cannot be run, saved or loaded; the message says why."""


# ---------------------------------------------------------------------------------------------- data and features

def label_subsets(labels: torch.Tensor, counts: list[int], seed: int) -> dict[int, torch.Tensor]:
    """Indices of `k` images per class for each k in `counts`, drawn with `seed`; smaller sets are nested in larger."""
    generator = torch.Generator().manual_seed(seed)
    most = max(counts)
    firsts = []
    for label in labels.unique().tolist():  # sorted, so the draws do not depend on the data's order of classes
        members = (labels == label).nonzero().flatten()
        if len(members) < most:
            raise ProbeError(f"class {label} has only {len(members)} training images, fewer than {most}; "
                             "lower --labels")
        firsts.append(members[torch.randperm(len(members), generator=generator)[:most]])
    drawn = torch.stack(firsts)  # (classes, most)
    return {k: drawn[:, :k].flatten() for k in counts}


@torch.inference_mode()
def encoder_features(model: nn.Module, images_uint8: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> the model's pooled encoder features (N, D), float32 on the CPU, in eval mode."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model.features(to_float(images_uint8[i:i + batch_size].to(device))).float().cpu()
                      for i in range(0, len(images_uint8), batch_size)])


def pixel_features(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> the flattened image in [0, 1], (N, 3 * H * W)."""
    return to_float(images_uint8).flatten(1)


def standardizer(train_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature mean and sqrt(variance + VARIANCE_EPS) of the training subset, (D,) each. The eps keeps
    near-constant features (a random encoder's pooled features vary by as little as 1e-6) from being blown up."""
    return train_features.mean(0), (train_features.var(0, correction=0) + VARIANCE_EPS).sqrt()


# ---------------------------------------------------------------------------------------------- classifiers

def fit_linear(features: torch.Tensor, labels: torch.Tensor, num_classes: int, l2: float,
               iterations: int = ProbeConfig.lbfgs_iters, start: tuple[torch.Tensor, torch.Tensor] | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Multinomial logistic regression: minimise mean cross-entropy + l2/2 * |W|^2 (bias unpenalised) by
    full-batch L-BFGS from zeros or `start`. Strictly convex, so the optimum is unique; no randomness is
    involved, so the same inputs give the same weights. Returns weight (C, D) and bias (C,)."""
    x = features.float()
    weight = torch.zeros(num_classes, x.shape[1]) if start is None else start[0].clone()
    bias = torch.zeros(num_classes) if start is None else start[1].clone()
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1, max_iter=iterations, history_size=20,
                                  tolerance_grad=1e-5, tolerance_change=1e-9, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(torch.addmm(bias, x, weight.t()), labels) + 0.5 * l2 * weight.square().sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return weight.detach(), bias.detach()


def holdout_mask(labels: torch.Tensor, fraction: float = HOLDOUT_FRACTION) -> torch.Tensor:
    """True for the last `fraction` (at least one) of each class's images, in the order given."""
    held = torch.zeros(len(labels), dtype=torch.bool)
    for label in labels.unique().tolist():
        members = (labels == label).nonzero().flatten()
        if len(members) < 2:
            raise ProbeError("choosing the L2 penalty needs at least 2 labelled images per class; pass --l2")
        held[members[-max(1, round(len(members) * fraction)):]] = True
    return held


def choose_l2(features: torch.Tensor, labels: torch.Tensor, num_classes: int, grid: tuple[float, ...] = L2_GRID,
              iterations: int = ProbeConfig.lbfgs_iters) -> float:
    """The penalty in `grid` whose fit on the rest of the labelled images is most accurate on the held-out ones
    (holdout_mask), ties going to the lower held-out cross-entropy. Only labelled training images are used."""
    held = holdout_mask(labels)
    mean, std = standardizer(features[~held])
    fit, check = (features[~held] - mean) / std, (features[held] - mean) / std
    scores, start = {}, None
    for l2 in sorted(grid, reverse=True):
        start = fit_linear(fit, labels[~held], num_classes, l2, iterations, start)
        logits = torch.addmm(start[1], check, start[0].t())
        scores[l2] = (accuracy(logits, labels[held]), -F.cross_entropy(logits, labels[held]).item())
    return max(scores, key=scores.get)


@dataclass
class LinearFit:
    """A fitted linear classifier and the standardisation its features need."""
    weight: torch.Tensor  # (C, D)
    bias: torch.Tensor    # (C,)
    mean: torch.Tensor    # (D,) training-subset statistics that standardise the features
    std: torch.Tensor     # (D,)
    l2: float

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, (features - self.mean) / self.std, self.weight.t())


def train_linear(features: torch.Tensor, labels: torch.Tensor, num_classes: int, l2: float | None = None,
                 iterations: int = ProbeConfig.lbfgs_iters) -> LinearFit:
    """Standardise with these features' statistics, choose the penalty (unless given), fit."""
    l2 = choose_l2(features, labels, num_classes, iterations=iterations) if l2 is None else l2
    mean, std = standardizer(features)
    weight, bias = fit_linear((features - mean) / std, labels, num_classes, l2, iterations)
    return LinearFit(weight, bias, mean, std, l2)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy in percent."""
    return (logits.argmax(1) == labels).float().mean().item() * 100


class EncoderClassifier(nn.Module):
    """Encoder (`model.features`), standardisation, linear head: what fine-tuning trains end to end.

    The standardisation is a BatchNorm without affine parameters (MAE's probe head), so it follows the features
    as the encoder changes; fixed statistics would turn small drifts of near-constant features into huge inputs.
    Everything starts from a linear probe of the initial features (as in LP-FT, Kumar et al. 2022): from a blank
    head, Adam would turn the first, meaningless gradients into full-size steps that scramble the encoder.
    """

    def __init__(self, model: nn.Module, probe: LinearFit):
        super().__init__()
        self.model = model
        self.norm = nn.BatchNorm1d(len(probe.mean), affine=False, eps=VARIANCE_EPS)
        self.head = nn.Linear(*probe.weight.shape[::-1])
        with torch.no_grad():
            self.norm.running_mean.copy_(probe.mean)
            self.norm.running_var.copy_((probe.std.square() - VARIANCE_EPS).clamp_min(0))
            self.head.weight.copy_(probe.weight)
            self.head.bias.copy_(probe.bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.model.features(images)))


def finetune(classifier: EncoderClassifier, images_uint8: torch.Tensor, labels: torch.Tensor, *, steps: int,
             batch_size: int, lr: float, weight_decay: float, seed: int) -> EncoderClassifier:
    """`steps` AdamW steps on the labelled images, epoch after epoch in a seeded order, with random flips."""
    generator = torch.Generator().manual_seed(seed)
    epochs = -(-steps * batch_size // len(images_uint8))
    order = torch.cat([torch.randperm(len(images_uint8), generator=generator) for _ in range(epochs)])
    optimizer = torch.optim.AdamW(classifier.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(steps, max(1, steps // 10)))
    classifier.train()
    for step in range(steps):
        index = order[step * batch_size:(step + 1) * batch_size]
        batch = random_flip(to_float(images_uint8[index]), generator)
        loss = F.cross_entropy(classifier(batch), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
    return classifier.eval()


@torch.inference_mode()
def classifier_logits(classifier: nn.Module, images_uint8: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    classifier.eval()
    return torch.cat([classifier(to_float(images_uint8[i:i + batch_size]))
                      for i in range(0, len(images_uint8), batch_size)])


# ---------------------------------------------------------------------------------------------- the comparison

def run_probe(dataset: Dataset, model: nn.Module, model_config: dict[str, Any], config: ProbeConfig,
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Every method x label count x seed; returns JSON-ready results (accuracies in %, per seed).
    `model` is the pretrained model; it is only read (fine-tuning trains a copy)."""
    train, val = dataset.train, dataset.val
    num_classes = len(dataset.classes)
    counts, seeds = sorted(config.labels), list(range(config.seeds))
    unknown = set(config.methods) - set(METHODS)
    if unknown:
        raise ProbeError(f"unknown method(s) {', '.join(sorted(unknown))}; choose from {', '.join(METHODS)}")
    if len(val.images) == 0:
        raise ProbeError("the data has no validation images to score on")
    subsets = {seed: label_subsets(train.labels, counts, seed) for seed in seeds}
    accuracy_table = {method: {str(k): [] for k in counts} for method in METHODS if method in config.methods}
    chosen_l2 = {method: {str(k): [] for k in counts} for method in ("pretrained", "random", "pixels")
                 if method in accuracy_table}
    seconds = dict.fromkeys(accuracy_table, 0.0)

    def random_model(seed: int) -> nn.Module:
        with torch.random.fork_rng():  # seeded weights without touching the caller's global generator
            torch.manual_seed(seed)
            return build_model(model_config["arch"], **model_config.get("arch_config", {})).eval()

    def linear_cells(method: str, seed: int, features_of: Callable[[torch.Tensor], torch.Tensor],
                     val_features: torch.Tensor) -> None:
        for k in counts:
            started = time.perf_counter()
            index = subsets[seed][k]
            fit = train_linear(features_of(index), train.labels[index], num_classes, config.l2, config.lbfgs_iters)
            score = accuracy(fit.logits(val_features), val.labels)
            accuracy_table[method][str(k)].append(score)
            chosen_l2[method][str(k)].append(fit.l2)
            seconds[method] += time.perf_counter() - started
            log(f"{method:>10}  {k:>5} labels/class  seed {seed}: {score:5.1f}%  (L2 {fit.l2:g})")

    def encoder_cells(method: str, encoder: nn.Module, seed_list: list[int]) -> None:
        """Features once for the union of the seeds' training subsets and the validation split."""
        started = time.perf_counter()
        needed = torch.unique(torch.cat([subsets[seed][max(counts)] for seed in seed_list]))
        features = encoder_features(encoder, train.images[needed], config.batch_size)
        position = torch.full((len(train.images),), -1, dtype=torch.long)
        position[needed] = torch.arange(len(needed))
        val_features = encoder_features(encoder, val.images, config.batch_size)
        seconds[method] += time.perf_counter() - started
        for seed in seed_list:
            linear_cells(method, seed, lambda index: features[position[index]], val_features)

    if "pretrained" in accuracy_table:
        encoder_cells("pretrained", model, seeds)
    if "random" in accuracy_table:
        for seed in seeds:  # a different random encoder per seed
            encoder_cells("random", random_model(seed), [seed])
    if "pixels" in accuracy_table:
        val_pixels = pixel_features(val.images)
        for seed in seeds:
            linear_cells("pixels", seed, lambda index: pixel_features(train.images[index]), val_pixels)
    for method in ("finetune", "scratch"):
        if method not in accuracy_table:
            continue
        for seed in seeds:
            for k in counts:
                started = time.perf_counter()
                index = subsets[seed][k]
                encoder = copy.deepcopy(model) if method == "finetune" else random_model(seed)
                start = train_linear(encoder_features(encoder, train.images[index], config.batch_size),
                                     train.labels[index], num_classes, config.l2, config.lbfgs_iters)
                classifier = finetune(EncoderClassifier(encoder, start), train.images[index],
                                      train.labels[index], steps=config.finetune_steps,
                                      batch_size=config.finetune_batch_size, lr=config.finetune_lr,
                                      weight_decay=config.finetune_weight_decay, seed=seed)
                score = accuracy(classifier_logits(classifier, val.images, config.batch_size), val.labels)
                accuracy_table[method][str(k)].append(score)
                seconds[method] += time.perf_counter() - started
                log(f"{method:>10}  {k:>5} labels/class  seed {seed}: {score:5.1f}%  "
                    f"({time.perf_counter() - started:.0f} s)")

    return {"accuracy": accuracy_table, "l2": chosen_l2, "labels_per_class": counts, "seeds": seeds,
            "methods": {method: METHODS[method] for method in accuracy_table},
            "seconds": {method: round(s, 1) for method, s in seconds.items()},
            "classes": dataset.classes, "train_images": len(train.images), "val_images": len(val.images),
            "arch": model_config["arch"], "arch_config": model_config.get("arch_config", {}),
            "feature_dim": int(encoder_features(model, val.images[:1]).shape[1]), "config": asdict(config)}


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def probe_table_markdown(results: dict[str, Any]) -> str:
    """The comparison as a markdown table: methods x labels per class, top-1 accuracy in %, mean ± std over seeds."""
    counts = results["labels_per_class"]
    rows = ["| method | " + " | ".join(f"{k:,} labels/class" for k in counts) + " |",
            "|---|" + "---|" * len(counts)]
    for method, label in results["methods"].items():
        cells = [mean_std(results["accuracy"][method][str(k)]) for k in counts]
        rows.append(f"| {label} | " + " | ".join(f"{m:.1f} ± {s:.1f}" for m, s in cells) + " |")
    return "\n".join(rows)


def probe_report_markdown(results: dict[str, Any]) -> str:
    """Table, what it measures, and the command with its wall time: a section for the README or the model card."""
    config = results["config"]
    penalty = (f"L2 penalty {config['l2']:g}" if config["l2"] is not None else "L2 penalty chosen per cell from "
               f"{', '.join(f'{v:g}' for v in L2_GRID)} by accuracy on a held-out fifth of the labelled images")
    setup = (f"Top-1 accuracy (%) on the {results['val_images']:,} validation images, mean ± std over "
             f"{len(results['seeds'])} seed(s) (each seed draws its own labelled images, random weights, order "
             f"and flips). Linear: multinomial logistic regression on standardised features "
             f"({results['feature_dim']}-d encoder, 3,072-d pixels), L-BFGS, {penalty}.")
    if {"finetune", "scratch"} & set(results["methods"]):
        setup += (f" End to end: AdamW, lr {config['finetune_lr']:g}, {config['finetune_steps']} steps of "
                  f"{config['finetune_batch_size']} images with flips, the same for both starting points.")
    minutes = results.get("wall_time_seconds", 0) / 60
    run = (f"Wall time {minutes:.1f} min on {results.get('hardware', '?')}:\n\n"
           f"```bash\n{results.get('command', '?')}\n```")
    return "\n\n".join([probe_table_markdown(results), setup, run])


def summary_line(results: dict[str, Any]) -> str:
    """One line: every method at the largest label count, and the pretrained encoder's margins."""
    k = str(max(results["labels_per_class"]))
    means = {method: mean_std(results["accuracy"][method][k])[0] for method in results["methods"]}
    parts = [f"{method} {value:.1f}%" for method, value in means.items()]
    line = f"summary at {int(k):,} labels/class: " + ", ".join(parts)
    if "pretrained" in means:
        margins = [f"{means['pretrained'] - means[base]:+.1f} pts vs {base}" for base in ("random", "pixels")
                   if base in means]
        line += ("; pretrained encoder " + ", ".join(margins)) if margins else ""
    return line + f"; wall time {results.get('wall_time_seconds', 0) / 60:.1f} min"


# ---------------------------------------------------------------------------------------------- shipped probes

def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Probe:
    """A linear classifier shipped in a bundle, on the encoder's features ("encoder") or raw pixels ("pixels").

        model, _ = load_bundle("default")
        probe = Probe.from_bundle("default")   # or kind="pixels", which needs no model
        probe.predict_top(images, model, k=3)  # uint8 (N, 32, 32, 3) -> per image [(class, probability), ...]
    """
    kind: str
    classes: list[str]
    fit: LinearFit
    val_accuracy: float  # % on the validation split

    @classmethod
    def from_bundle(cls, name_or_path: str | os.PathLike | None = None, kind: str = "encoder") -> "Probe":
        probes = load_probes(name_or_path)
        if kind not in probes:
            raise ProbeError(f"the bundle has no {kind!r} probe; it has {', '.join(probes)}")
        return probes[kind]

    def features(self, images_uint8: torch.Tensor, model: nn.Module | None = None) -> torch.Tensor:
        if self.kind == "pixels":
            return pixel_features(images_uint8)
        if model is None:
            raise ProbeError("the encoder probe needs the bundle's model to compute features")
        return encoder_features(model, images_uint8)

    def probabilities(self, images, model: nn.Module | None = None) -> np.ndarray:
        """uint8 (N, 32, 32, 3) or (32, 32, 3), or PIL image(s) -> class probabilities (N, C), rows summing to 1."""
        batch, _ = as_uint8_batch(images)
        features = self.features(torch.from_numpy(np.array(batch)).permute(0, 3, 1, 2), model)
        if features.shape[1] != self.fit.weight.shape[1]:
            raise ProbeError(f"the {self.kind} probe takes {self.fit.weight.shape[1]} features, the model gives "
                             f"{features.shape[1]}: it belongs to another model")
        return self.fit.logits(features).softmax(1).numpy()

    def predict_top(self, images, model: nn.Module | None = None, k: int = 3) -> list[list[tuple[str, float]]]:
        """Per image (a single image counts as a batch of one), the k most likely classes with their
        probabilities, most likely first."""
        probabilities = torch.from_numpy(self.probabilities(images, model))
        values, indices = probabilities.topk(min(k, len(self.classes)), dim=1)
        return [[(self.classes[i], float(p)) for p, i in zip(row_p.tolist(), row_i.tolist())]
                for row_p, row_i in zip(values, indices)]


FIT_TENSORS = ("weight", "bias", "mean", "std")


def fit_shipping_probes(dataset: Dataset, model: nn.Module, config: ProbeConfig) -> dict[str, Probe]:
    """The encoder and pixel probes on max(labels) images per class drawn with seed 0: the table's seed-0 cells."""
    train, val = dataset.train, dataset.val
    k = max(config.labels)
    index = label_subsets(train.labels, [k], seed=0)[k]
    featurize = {"encoder": lambda images: encoder_features(model, images, config.batch_size),
                 "pixels": pixel_features}
    probes = {}
    for kind, features_of in featurize.items():
        fit = train_linear(features_of(train.images[index]), train.labels[index], len(dataset.classes), config.l2,
                           config.lbfgs_iters)
        probes[kind] = Probe(kind, list(dataset.classes), fit, accuracy(fit.logits(features_of(val.images)),
                                                                        val.labels))
    return probes


def save_probes(folder: str | os.PathLike, probes: dict[str, Probe], info: dict[str, Any]) -> Path:
    """probe.safetensors (tensors only) and probe.json (classes, accuracies, `info`), each written atomically.
    The json records the model weights' hash, so a probe left over from another model is refused on load."""
    folder = Path(folder)
    tensors = {f"{kind}.{name}": getattr(probe.fit, name).contiguous()
               for kind, probe in probes.items() for name in FIT_TENSORS}
    with atomic_path(folder / PROBE_WEIGHTS) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "pt"})
    classes = next(iter(probes.values())).classes
    record = {"classes": classes, "model_sha256": file_sha256(folder / WEIGHTS_NAME),
              "probes": {kind: {"features": "model.features, standardised" if kind == "encoder"
                                else "flattened image in [0, 1], standardised",
                                "feature_dim": probe.fit.weight.shape[1], "l2": probe.fit.l2,
                                "val_accuracy": round(probe.val_accuracy, 2)}
                         for kind, probe in probes.items()}, **info}
    write_text(folder / PROBE_CONFIG, json.dumps(record, indent=2) + "\n")
    return folder


def load_probes(name_or_path: str | os.PathLike | None = None) -> dict[str, Probe]:
    """The probes shipped in a bundle (a shipped model's name or a folder), read from safetensors only."""
    folder = resolve(name_or_path)
    try:
        record = json.loads((folder / PROBE_CONFIG).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / PROBE_WEIGHTS))
        model_sha256 = file_sha256(folder / WEIGHTS_NAME)
    except FileNotFoundError as error:
        raise ProbeError(f"{folder} has no {Path(error.filename or PROBE_CONFIG).name}; "
                         "make a probe with python -m sslmodel.probe --save-probe") from None
    except (json.JSONDecodeError, SafetensorError, OSError) as error:
        raise ProbeError(f"the probe in {folder} is corrupt: {error}") from None
    if record.get("model_sha256") != model_sha256:
        raise ProbeError(f"the probe in {folder} was fitted on other model weights; run --save-probe again")
    try:
        return {kind: Probe(kind, record["classes"],
                            LinearFit(*(tensors[f"{kind}.{name}"] for name in FIT_TENSORS), l2=info["l2"]),
                            val_accuracy=info["val_accuracy"])
                for kind, info in record["probes"].items()}
    except KeyError as error:
        raise ProbeError(f"the probe in {folder} is incomplete: no {error}") from None


# ---------------------------------------------------------------------------------------------- command line

def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = ProbeConfig()
    parser = argparse.ArgumentParser(prog="python -m sslmodel.probe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/train", help="labelled image folder (class subfolders) or "
                        "'cifar10'; its fixed validation split is what every method is scored on "
                        "(default %(default)s)")
    parser.add_argument("--bundle", default="default", help="a shipped model's name, a bundle folder or a Hub repo "
                        "id (default %(default)s)")
    parser.add_argument("--labels", type=positive_int, nargs="+", default=list(d.labels), metavar="K",
                        help="labelled training images per class, one table column each (default: 10 100 1000)")
    parser.add_argument("--seeds", type=positive_int, default=d.seeds, help="seeds 0..N-1 per cell; the table shows "
                        "mean ± std over them (default %(default)s)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(d.methods), metavar="METHOD",
                        help=f"table rows to compute, any of {', '.join(METHODS)} (default: all)")
    parser.add_argument("--l2", type=float, default=d.l2, help="a fixed L2 penalty for every linear classifier "
                        "(mean cross-entropy + l2/2 |W|^2 on standardised features); by default it is chosen per "
                        f"cell from {', '.join(f'{v:g}' for v in L2_GRID)} on held-out labelled images")
    parser.add_argument("--lbfgs-iters", type=positive_int, default=d.lbfgs_iters, help="L-BFGS iteration cap of "
                        "the linear classifiers (default %(default)s)")
    parser.add_argument("--finetune-steps", type=positive_int, default=d.finetune_steps, help="AdamW steps of "
                        "end-to-end training, the same for pretrained and scratch (default %(default)s)")
    parser.add_argument("--finetune-batch-size", type=positive_int, default=d.finetune_batch_size,
                        help="images per end-to-end step (default %(default)s)")
    parser.add_argument("--finetune-lr", type=float, default=d.finetune_lr, help="peak AdamW learning rate of "
                        "end-to-end training (default %(default)s)")
    parser.add_argument("--finetune-weight-decay", type=float, default=d.finetune_weight_decay,
                        help="AdamW weight decay of end-to-end training (default %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=d.batch_size, help="images per forward pass "
                        "when computing features (default %(default)s)")
    parser.add_argument("--json", metavar="OUT", help="write every figure, the command and the wall time here")
    parser.add_argument("--save-probe", action="store_true", help="also fit the shipping probes (pretrained "
                        "encoder and raw pixels, max(--labels) per class, seed 0) and write probe.safetensors "
                        "and probe.json into the bundle folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fields = set(ProbeConfig.__dataclass_fields__)
    config = ProbeConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items() if k in fields})
    command = "python -m sslmodel.probe " + shlex.join(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    try:
        if args.save_probe and not (os.path.isdir(args.bundle) or (PRETRAINED_DIR / args.bundle).is_dir()):
            raise ProbeError(f"--save-probe writes into a local bundle folder; {args.bundle} is not one")
        model, model_config = load_bundle(args.bundle)
        print(f"loading data from {args.data} ...", flush=True)
        dataset = load_dataset(args.data)
        print(f"{len(dataset.train.images)} training and {len(dataset.val.images)} validation images, "
              f"{len(dataset.classes)} classes; {model_config['arch']} from {args.bundle}", flush=True)
        results = run_probe(dataset, model, model_config, config, log=lambda line: print(line, flush=True))
        results |= {"bundle": args.bundle, "data": args.data, "command": command,
                    "hardware": hardware_description(torch.device("cpu"), 1)}
        if args.save_probe:
            probes = fit_shipping_probes(dataset, model, config)
            folder = save_probes(resolve(args.bundle), probes, {
                "labels_per_class": max(config.labels), "seed": 0, "val_images": len(dataset.val.images),
                "command": command})
            results["shipped_probes"] = {kind: round(p.val_accuracy, 2) for kind, p in probes.items()}
            print(f"probes written to {folder}: " + ", ".join(f"{kind} {p.val_accuracy:.1f}%"
                                                               for kind, p in probes.items()), flush=True)
    except (BundleError, DataError, ProbeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    results["wall_time_seconds"] = round(time.perf_counter() - started, 1)
    print("\n" + probe_report_markdown(results) + "\n")
    if args.json:
        write_text(args.json, json.dumps(results, indent=2) + "\n")
    print(summary_line(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
