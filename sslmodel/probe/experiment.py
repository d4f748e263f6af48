"""The few-label comparison: how much does the inpainting encoder know about the classes it never saw?

Per seed, k training images per class are drawn (the draws are nested: the 10 are the first 10 of the
100, which are the first 100 of the 1,000), and every method is scored on the whole validation split:
    pretrained  the bundle's encoder (`model.features`), frozen, with a linear classifier on top
    random      the same architecture with random weights (torch.manual_seed(seed)), frozen, linear
    pixels      the flattened image in [0, 1] (3,072 numbers), linear
    finetune    encoder plus linear head trained end to end from the pretrained weights
    scratch     the same from the random weights, with the same labels, steps and optimizer
                (both heads start as the linear probe of the starting encoder)
Beside them, a weighted kNN on frozen features (probe/knn.py: cosine, k = 200, every training image labelled in
the memory bank) for the encoder, the random-weights encoder and pixels: no fitting, so no choice of penalty.
Linear classifiers are multinomial logistic regression on standardised features, fitted by L-BFGS, with the
L2 penalty chosen per cell on a held-out fifth of the labelled images (sslmodel.probe.linear says why).
"""

from __future__ import annotations

import copy
import functools
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..bundle_config import BundleConfig
from ..convert import to_float
from ..data import Dataset
from ..engine import random_flip, warmup_cosine
from ..models import build_model
from .knn import KNN_K, KNN_TEMPERATURE, knn_accuracy
from .linear import (L2_GRID, LBFGS_ITERS, VARIANCE_EPS, LinearFit, Probe, ProbeError, accuracy, encoder_features,
                     pixel_features, train_linear)

METHODS = {  # name -> the row label of the table, in table order
    "pretrained": "pretrained encoder, frozen, linear",
    "random": "random-weights encoder, frozen, linear",
    "pixels": "raw pixels, linear",
    "finetune": "fine-tuned end to end from pretrained",
    "scratch": "trained end to end from scratch",
}


@dataclass
class ProbeConfig:
    labels: tuple[int, ...] = (10, 100, 1000)  # training images per class, one table column each
    seeds: int = 3                  # seeds 0..seeds-1: label draws, random weights, fine-tuning order and flips
    methods: tuple[str, ...] = tuple(METHODS)
    l2: float | None = None         # L2 penalty: mean cross-entropy + l2/2 * |W|^2; None chooses it from L2_GRID
    lbfgs_iters: int = LBFGS_ITERS  # L-BFGS iteration cap per fit
    finetune_steps: int = 200       # optimizer steps of end-to-end training, the same for pretrained and scratch
    finetune_batch_size: int = 64
    finetune_lr: float = 3e-4       # AdamW peak, 10% warm-up then cosine to zero; 1e-3 scrambles short runs
    finetune_weight_decay: float = 0.01
    batch_size: int = 500           # images per forward pass when computing features
    knn_k: int = KNN_K              # neighbours of the kNN classifier; 0 skips it


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


# ---------------------------------------------------------------------------------------------- fine-tuning

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

def knn_results(dataset: Dataset, model: nn.Module, random_model: nn.Module, config: ProbeConfig) -> dict[str, Any]:
    """kNN top-1 (%) on the validation split with the whole training split as the labelled memory bank."""
    train, val = dataset.train, dataset.val
    featurize = {"encoder": lambda images: encoder_features(model, images, config.batch_size),
                 "random": lambda images: encoder_features(random_model, images, config.batch_size),
                 "pixels": pixel_features}
    scores = {kind: knn_accuracy(features_of(val.images), val.labels, features_of(train.images), train.labels,
                                 config.knn_k) for kind, features_of in featurize.items()}
    return {"k": config.knn_k, "temperature": KNN_TEMPERATURE, "bank_images": len(train.images), **scores}


def check_probe_config(config: ProbeConfig, val_images: int) -> None:
    unknown = set(config.methods) - set(METHODS)
    if unknown:
        raise ProbeError(f"unknown method(s) {', '.join(sorted(unknown))}; choose from {', '.join(METHODS)}")
    if val_images == 0:
        raise ProbeError("the data has no validation images to score on")


def seeded_model(model_config: BundleConfig, seed: int) -> nn.Module:
    """A randomly initialised network of the bundle's architecture, seeded without touching the global generator."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build_model(model_config.arch, **model_config.arch_config).eval()


def end_to_end_score(encoder: nn.Module, dataset: Dataset, index: torch.Tensor, config: ProbeConfig,
                     seed: int) -> float:
    """Validation accuracy (%) of `encoder` plus a linear head (fitted first) trained end to end on `index`."""
    train, val = dataset.train, dataset.val
    start = train_linear(encoder_features(encoder, train.images[index], config.batch_size), train.labels[index],
                         len(dataset.classes), config.l2, config.lbfgs_iters)
    classifier = finetune(EncoderClassifier(encoder, start), train.images[index], train.labels[index],
                          steps=config.finetune_steps, batch_size=config.finetune_batch_size, lr=config.finetune_lr,
                          weight_decay=config.finetune_weight_decay, seed=seed)
    return accuracy(classifier_logits(classifier, val.images, config.batch_size), val.labels)


def run_probe(dataset: Dataset, model: nn.Module, model_config: BundleConfig, config: ProbeConfig,
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Every method x label count x seed; returns JSON-ready results (accuracies in %, per seed).
    `model` is the pretrained model; it is only read (fine-tuning trains a copy)."""
    train, val = dataset.train, dataset.val
    num_classes = len(dataset.classes)
    counts, seeds = sorted(config.labels), list(range(config.seeds))
    check_probe_config(config, len(val.images))
    subsets = {seed: label_subsets(train.labels, counts, seed) for seed in seeds}
    accuracy_table = {method: {str(k): [] for k in counts} for method in METHODS if method in config.methods}
    chosen_l2 = {method: {str(k): [] for k in counts} for method in ("pretrained", "random", "pixels")
                 if method in accuracy_table}
    seconds = dict.fromkeys(accuracy_table, 0.0)

    random_model = functools.partial(seeded_model, model_config)

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
                encoder = copy.deepcopy(model) if method == "finetune" else random_model(seed)
                score = end_to_end_score(encoder, dataset, subsets[seed][k], config, seed)
                accuracy_table[method][str(k)].append(score)
                seconds[method] += time.perf_counter() - started
                log(f"{method:>10}  {k:>5} labels/class  seed {seed}: {score:5.1f}%  "
                    f"({time.perf_counter() - started:.0f} s)")

    knn = knn_results(dataset, model, random_model(0), config) if config.knn_k else None
    if knn:
        log(f"kNN (k = {knn['k']}, {knn['bank_images']} labelled): encoder {knn['encoder']:.1f}%, random "
            f"{knn['random']:.1f}%, pixels {knn['pixels']:.1f}%")
    return {"accuracy": accuracy_table, "l2": chosen_l2, "labels_per_class": counts, "seeds": seeds,
            "seconds": {method: round(s, 1) for method, s in seconds.items()}, "knn": knn,
            **run_description(dataset, model, model_config, config, list(accuracy_table))}


def run_description(dataset: Dataset, model: nn.Module, model_config: BundleConfig, config: ProbeConfig,
                    methods: list[str]) -> dict[str, Any]:
    """What a probe run was run on: its methods, data, architecture, feature size and settings."""
    return {"methods": {method: METHODS[method] for method in methods}, "classes": dataset.classes,
            "train_images": len(dataset.train.images), "val_images": len(dataset.val.images),
            "arch": model_config.arch, "arch_config": model_config.arch_config,
            "feature_dim": int(encoder_features(model, dataset.val.images[:1]).shape[1]), "config": asdict(config)}


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


# ---------------------------------------------------------------------------------------------- the report

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
    knn = results.get("knn")
    knn_line = (f"kNN on frozen features (cosine, k = {knn['k']}, votes weighted by exp(similarity / "
                f"{knn['temperature']:g}), all {knn['bank_images']:,} training images labelled): encoder "
                f"**{knn['encoder']:.1f}%**, random weights {knn['random']:.1f}%, raw pixels {knn['pixels']:.1f}%."
                if knn else "")
    return "\n\n".join(part for part in (probe_table_markdown(results), knn_line, setup, run) if part)


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
    if results.get("knn"):
        line += f"; kNN encoder {results['knn']['encoder']:.1f}%, pixels {results['knn']['pixels']:.1f}%"
    return line + f"; wall time {results.get('wall_time_seconds', 0) / 60:.1f} min"
