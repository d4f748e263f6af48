"""The model card (a bundle's README.md): what the model is, its validation scores, how it was trained and used.

Made from the bundle's config.json alone; bundle.py writes it next to the weights. The scores are in the card's
text and also in its YAML front matter as a `model-index`, which the Hub shows as a metrics table.
"""

from __future__ import annotations

import json
import math
from typing import Any

from huggingface_hub import EvalResult, ModelCardData

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
    return ["## Few-label classification",
            "Accuracy (%) on the validation split, mean ± std over seeds, of linear classifiers and fine-tuning "
            "with few labels per class (`sslmodel.probe`).", probe["table"],
            f"Command ({probe.get('wall_time_seconds', 0) / 60:.0f} min):\n\n```bash\n{probe.get('command', '?')}\n```"]


def objective_line(recipe: dict[str, Any]) -> str:
    """What the weights were trained to minimise, in words."""
    region = "missing pixels" if recipe.get("loss_region", "hole") == "hole" else "whole image"
    inpainting = f"inpainting ({recipe.get('loss', 'l1').upper()} over the {region})"
    weight = recipe.get("contrastive_weight", 0)
    if not weight:
        return inpainting + " alone"
    return (f"{inpainting} + {weight:g} x NT-Xent (temperature {recipe.get('temperature', 0.2):g}) between the "
            "encoder features of two augmented views of each image, through a projection head that is used in "
            "training only and is not part of this bundle")


def model_card(config: dict[str, Any]) -> str:
    recipe, training = config.get("recipe", {}), config.get("training", {})
    results = eval_results(config.get("metrics", {}))
    card_data = ModelCardData(library_name="sslmodel", license="mit", datasets=["cifar10"],
                              pipeline_tag="image-to-image", tags=["inpainting", "self-supervised", "cifar10"],
                              model_name=f"sslmodel-{config['arch']}" if results else None,
                              eval_results=results or None)
    minutes = training.get("wall_time_seconds", 0) / 60
    sections = [
        f"---\n{card_data.to_yaml()}\n---",
        f"# sslmodel inpainting: `{config['arch']}`",
        "A self-supervised image-inpainting model for 32x32 CIFAR-10 images: given an image with missing "
        "pixels (a hole map, True = missing) it predicts the missing pixels from the rest. It was trained on "
        "unlabelled images only.",
        "## Validation",
        f"Hole PSNR is the PSNR over the missing pixels only (images in [0, 1]), computed per image and averaged; "
        f"PSNR and SSIM are of the whole composite (known pixels plus the filled hole). "
        f"{training.get('val_images', '?')} held-out images (the last 10% of every class), fixed hole seeds.",
        metrics_table(config.get("metrics", {})),
        "## Training",
        "\n".join([
            f"- architecture: `{config['arch']}` {json.dumps(config.get('arch_config', {}))}, "
            f"{training.get('parameters', 0):,} parameters",
            f"- objective: {objective_line(recipe)}",
            f"- recipe: `{json.dumps(recipe)}`",
            f"- data: {training.get('data', '?')}, {training.get('train_images', '?')} training images",
            f"- epochs completed: {training.get('epochs_completed', '?')}; wall time {minutes:.1f} min "
            f"on {training.get('hardware', '?')}",
            f"- command:\n\n```bash\n{training.get('command', '?')}\n```",
        ]),
        "`frames/epoch_NNN.png` show fixed validation images (original, masked, reconstruction) after each epoch.",
        *probe_section(config.get("probe")),
        "## Use",
        "```python\nfrom sslmodel import Inpainter\n\ninp = Inpainter.from_pretrained(\"path/or/repo-id\")\n"
        "filled = inp.inpaint(images, holes)  # uint8 (N, 32, 32, 3), bool (N, 32, 32) -> uint8\n```",
    ]
    return "\n\n".join(sections) + "\n"
