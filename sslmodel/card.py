"""The model card (a bundle's README.md): what the model is, its validation scores, how it was trained and used.

Made from the bundle's config.json alone; bundle.py writes it next to the weights. The scores are in the card's
text and also in its YAML front matter as a `model-index`, which the Hub shows as a metrics table.
"""

from __future__ import annotations

import json
import math
from typing import Any

from huggingface_hub import EvalResult, ModelCardData

from .bundle_config import BundleConfig
from .engine import Recipe
from .holes import EVAL_FAMILIES, FAMILY_LABELS


def metrics_table(metrics: dict[str, dict[str, float]]) -> str:
    rows = ["| hole family | hole PSNR (dB) | PSNR (dB) | SSIM |", "|---|---|---|---|"]
    for family in EVAL_FAMILIES:
        if family in metrics:
            m = metrics[family]
            rows.append(f"| {FAMILY_LABELS[family]} | {m['hole_psnr']:.2f} | {m.get('psnr', float('nan')):.2f} "
                        f"| {m.get('ssim', float('nan')):.3f} |")
    return "\n".join(rows)


def eval_results(metrics: dict[str, dict[str, float]]) -> list[EvalResult]:
    """The validation scores in the Hub's model-index form: hole PSNR, and SSIM when there is one, per family."""
    results = []
    for key, metric_type, label, digits in (("hole_psnr", "psnr", "hole PSNR", 2), ("ssim", "ssim", "SSIM", 3)):
        for family in EVAL_FAMILIES:
            value = metrics.get(family, {}).get(key)
            if value is not None and math.isfinite(value):
                results.append(EvalResult(task_type="image-to-image", task_name="Image inpainting",
                                          dataset_type="cifar10", dataset_name="CIFAR-10", metric_type=metric_type,
                                          metric_value=round(float(value), digits),
                                          metric_name=f"{label}, {FAMILY_LABELS[family]}"))
    return results


def probe_section(probe: dict[str, Any] | None) -> list[str]:
    """The few-label classification table (sslmodel.probe), when the bundle has been probed."""
    if not probe:
        return []
    knn = probe.get("knn")
    knn_line = ([f"kNN on the frozen features (cosine, k = {knn['k']}, the {knn['bank_images']:,} training images as "
                 f"the memory bank, all labelled): **{knn['encoder']:.1f}%** top-1 on the validation split "
                 f"(raw pixels: {knn['pixels']:.1f}%)."] if knn else [])
    return ["## Few-label classification",
            "Accuracy (%) on the validation split, mean ± std over seeds, of linear classifiers and fine-tuning "
            "with few labels per class (`sslmodel.probe`).", probe["table"], *knn_line,
            f"Command ({probe.get('wall_time_seconds', 0) / 60:.0f} min):\n\n```bash\n{probe.get('command', '?')}\n```"]


def objective_line(recipe: Recipe) -> str:
    """What the weights were trained to minimise, in words."""
    region = "missing pixels" if recipe.loss_region == "hole" else "whole image"
    inpainting = f"inpainting ({recipe.loss.upper()} over the {region})"
    if not recipe.contrastive:
        return inpainting + " alone"
    stages = "pooled encoder stages" if recipe.contrastive_stages == "all" else "pooled deep encoder stage"
    loss = (f"NT-Xent (temperature {recipe.temperature:g})" if recipe.joint_loss == "nt_xent"
            else "VICReg (invariance 25, variance 25, covariance 1, divided by 25, on a 2048-wide expander)")
    warmup = f", its weight warmed up over {recipe.contrastive_warmup:g} epochs" if recipe.contrastive_warmup else ""
    view = "a masked augmented view" if recipe.view_holes else "a whole augmented view"
    colour = (f"colour jitter {recipe.view_jitter:g}, grayscale {recipe.view_gray:.0%}"
              if recipe.view_jitter or recipe.view_gray else "colours kept")
    crops = (f", and {recipe.small_crops} small 16x16 crops of it, each paired with both"
             if recipe.small_crops else "")
    scale = (f"; the joint loss's gradient into the shared encoder is scaled by {recipe.encoder_grad_scale:g}"
             if recipe.encoder_grad_scale != 1 else "")
    return (f"{inpainting} + {recipe.contrastive_weight:g} x {loss}{warmup} between the {stages} of each masked "
            f"image (from the inpainting pass) and of {view} of it ({colour}; an encoder-only pass){crops}, through "
            f"a head that is used in training only and is not part of this bundle{scale}")


def model_card(config: BundleConfig | dict[str, Any]) -> str:
    config = BundleConfig.from_dict(config) if isinstance(config, dict) else config
    recipe, training = config.recipe, config.training
    results = eval_results(config.metrics)
    card_data = ModelCardData(library_name="sslmodel", license="mit", datasets=["cifar10"],
                              pipeline_tag="image-to-image", tags=["inpainting", "self-supervised", "cifar10"],
                              model_name=f"sslmodel-{config.arch}" if results else None,
                              eval_results=results or None)
    sections = [
        f"---\n{card_data.to_yaml()}\n---",
        f"# sslmodel inpainting: `{config.arch}`",
        "A self-supervised image-inpainting model for 32x32 CIFAR-10 images: given an image with missing "
        "pixels (a hole map, True = missing) it predicts the missing pixels from the rest. It was trained on "
        "unlabelled images only.",
        "## Validation",
        f"Hole PSNR is the PSNR over the missing pixels only (images in [0, 1]), computed per image and averaged; "
        f"PSNR and SSIM are of the whole composite (known pixels plus the filled hole). "
        f"{training.val_images or '?'} held-out images (the last 10% of every class), fixed hole seeds.",
        metrics_table(config.metrics),
        "## Training",
        "\n".join([
            f"- architecture: `{config.arch}` {json.dumps(config.arch_config)}, {training.parameters:,} parameters",
            f"- objective: {objective_line(recipe)}",
            f"- recipe: `{json.dumps(recipe.to_dict())}`",
            f"- data: {training.data or '?'}, {training.train_images or '?'} training images",
            f"- epochs completed: {training.epochs_completed}; wall time {training.wall_time_seconds / 60:.1f} min "
            f"on {training.hardware or '?'}",
            f"- command:\n\n```bash\n{training.command or '?'}\n```",
        ]),
        "`frames/epoch_NNN.png` show fixed validation images (original, masked, reconstruction) after each epoch.",
        *probe_section(config.probe),
        "## Use",
        "```python\nfrom sslmodel import Inpainter\n\ninp = Inpainter.from_pretrained(\"path/or/repo-id\")\n"
        "filled = inp.inpaint(images, holes)  # uint8 (N, 32, 32, 3), bool (N, 32, 32) -> uint8\n```",
    ]
    return "\n\n".join(sections) + "\n"
