"""Linear probes: features, the classifier on top, and the probes a bundle ships for the app.

A linear classifier is multinomial logistic regression on features standardised with the training subset's
statistics, fitted by full-batch L-BFGS. Its L2 penalty is chosen from a fixed grid by the accuracy on a held-out
fifth of the labelled images, never on the validation split: the best penalty differs by orders of magnitude
between 240 encoder features (the default width) and 3,072 pixels, so any single value would handicap one of them.
A bundle's probes live in probe.safetensors (tensors only) and probe.json, written by
`python -m sslmodel.probe --save-probe`; `Probe` and `load_probes` read them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ..atomic import atomic_path, write_text
from ..bundle import WEIGHTS_NAME, resolve
from ..convert import nhwc_to_float, to_float
from ..preprocess import as_uint8_batch

PROBE_WEIGHTS = "probe.safetensors"
PROBE_CONFIG = "probe.json"
VARIANCE_EPS = 1e-6  # features are standardised by sqrt(var + eps), as by MAE's BatchNorm probe head
L2_GRID = (10.0, 1.0, 0.1, 0.01, 1e-3, 1e-4)  # candidate penalties, strongest first (each fit warm-starts the next)
FEW_LABELS_L2 = 1.0  # the penalty when a class has a single labelled image, so none can be held out
HOLDOUT_FRACTION = 0.2  # of each class's labelled images, held out to choose the penalty
LBFGS_ITERS = 300  # L-BFGS iteration cap per fit (the smallest penalties converge slowly)


class ProbeError(RuntimeError):
    """A probe that cannot be run, saved or loaded; the message says why."""


# ---------------------------------------------------------------------------------------------- features

def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> float in [0, 1]; float images are taken as already in [0, 1]."""
    return images if images.is_floating_point() else to_float(images)


@torch.inference_mode()
def encoder_features(model: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """uint8 (N, 3, H, W) (or float in [0, 1]) -> the model's pooled encoder features (N, D), float32 on the CPU,
    in eval mode. uint8 images are converted a batch at a time, so a whole dataset never exists as floats."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model.features(as_float(images[i:i + batch_size].to(device))).float().cpu()
                      for i in range(0, len(images), batch_size)])


def pixel_features(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) (or float in [0, 1]) -> the flattened image in [0, 1], (N, 3 * H * W)."""
    return as_float(images).flatten(1)


def standardizer(train_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature mean and sqrt(variance + VARIANCE_EPS) of the training subset, (D,) each. The eps keeps
    near-constant features (a random encoder's pooled features vary by as little as 1e-6) from being blown up."""
    return train_features.mean(0), (train_features.var(0, correction=0) + VARIANCE_EPS).sqrt()


# ---------------------------------------------------------------------------------------------- the linear fit

def fit_linear(features: torch.Tensor, labels: torch.Tensor, num_classes: int, l2: float,
               iterations: int = LBFGS_ITERS, start: tuple[torch.Tensor, torch.Tensor] | None = None
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
              iterations: int = LBFGS_ITERS) -> float:
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
                 iterations: int = LBFGS_ITERS) -> LinearFit:
    """Standardise with these features' statistics, choose the penalty (unless given), fit."""
    if l2 is None:
        too_few = torch.bincount(labels, minlength=num_classes)[labels.unique()].min() < 2
        # one image per class leaves none to hold out: a strong penalty, close to a nearest-class-mean classifier
        l2 = FEW_LABELS_L2 if too_few else choose_l2(features, labels, num_classes, iterations=iterations)
    mean, std = standardizer(features)
    weight, bias = fit_linear((features - mean) / std, labels, num_classes, l2, iterations)
    return LinearFit(weight, bias, mean, std, l2)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy in percent."""
    return (logits.argmax(1) == labels).float().mean().item() * 100


# ---------------------------------------------------------------------------------------------- shipped probes

FIT_TENSORS = ("weight", "bias", "mean", "std")


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

    def features(self, images: torch.Tensor, model: nn.Module | None = None) -> torch.Tensor:
        """uint8 (N, 3, H, W) (or float in [0, 1]) -> the features this probe classifies."""
        if self.kind == "pixels":
            return pixel_features(images)
        if model is None:
            raise ProbeError("the encoder probe needs the bundle's model to compute features")
        return encoder_features(model, images)

    def probabilities(self, images, model: nn.Module | None = None) -> np.ndarray:
        """uint8 (N, 32, 32, 3) or (32, 32, 3), or PIL image(s) -> class probabilities (N, C), rows summing to 1."""
        batch, _ = as_uint8_batch(images)
        features = self.features(nhwc_to_float(batch), model)
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
