"""The page's event handlers: plain functions of the loaded state and the inputs, called directly by unit tests.

No Gradio objects inside except `gr.Error` (a message for the person), `gr.update`, `gr.skip` and the event data.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from ..preprocess import ImageError, prepare_holes, prepare_image
from .compare import Result, compare_all, comparison_slide, error_heatmap, format_db, model_result
from .editor import HOLE_HEX, SCALE, editor_value, holes_from_editor, masked_view, random_holes, upscale
from .showcase import load_frame, probe_caption, top_classes
from .state import AppState

FRAME_SCALE = 4
NO_PROBE = ("This model's bundle has no class probe, so there is nothing to show here "
            "(make one with `python -m sslmodel.probe --save-probe`).")
FRAMES_HELP = ("Each column is one validation image. Rows, top to bottom: **original**, **masked** input (black = "
               "hidden), the model's **reconstruction** after that epoch of training.")


# ---------------------------------------------------------------------------------------------- inputs

def read_image(path: str | None) -> np.ndarray:
    """An uploaded file -> uint8 (32, 32, 3), or a gr.Error saying what is wrong with it."""
    if not path:
        raise gr.Error("No image: upload an image file (PNG, JPEG, WebP, ...).")
    try:
        return prepare_image(path)
    except ImageError as error:
        raise gr.Error(f"Image: {error}") from None


def upright_size(path: str) -> tuple[int, int]:
    """(width, height) of an image file as displayed, i.e. after its EXIF rotation (read from the header)."""
    with Image.open(path) as image:
        width, height = image.size
        rotated = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)  # Orientation tags that swap the axes
    return (height, width) if rotated else (width, height)


def read_mask(path: str | None, image_size: tuple[int, int]) -> np.ndarray:
    """An uploaded mask file (the image's size or 32x32) -> bool (32, 32), or a gr.Error."""
    if not path:
        raise gr.Error("No mask: upload a mask image (white or opaque = missing).")
    try:
        return prepare_holes(path, image_size=image_size)
    except ImageError as error:
        raise gr.Error(f"Mask: {error}") from None


def pick_model(models: dict, name: str | None) -> tuple[str, object]:
    if not models:
        raise gr.Error("No model is loaded on this server; start it with --model FOLDER_OR_HUB_REPO_ID.")
    name = name or next(iter(models))
    if name not in models:
        shown = name if len(name) <= 60 else name[:40] + "…"  # never echo a huge input back in full
        raise gr.Error(f"Unknown model {shown!r}; choose one of: {', '.join(models)}.")
    return name, models[name]


def metrics_markdown(result: Result | None, caption: str) -> str:
    if result is None:
        return f"{caption}\n\nNo model loaded."
    m = result.metrics
    return (f"Hole PSNR **{format_db(m['hole_psnr'])}** · SSIM **{m['ssim']:.3f}**\n\n"
            f"{m['hole_pixels']} of 1024 pixels missing ({m['hole_fraction']:.0%}) · model `{result.name}` · {caption}")


# ---------------------------------------------------------------------------------------------- picking an image
# Picking an image takes two steps, so that a refused upload leaves the editor as it was:
# first the 32x32 image and its caption (or a gr.Error), then, on success, the editor.

def on_upload(state: AppState, path: str | None) -> tuple[np.ndarray, str]:
    if not path:
        return gr.skip(), gr.skip()
    return read_image(path), f"your upload ({Path(path).name})"


def load_example(state: AppState, index: int) -> tuple[np.ndarray, str]:
    try:
        return state.examples.load(index), f"{state.examples.labels[index]} (example #{index})"
    except ImageError as error:
        raise gr.Error(f"Example: {error}") from None


def on_gallery_select(state: AppState, event: gr.SelectData) -> tuple[np.ndarray, str]:
    return load_example(state, state.gallery_indices[event.index])


def on_random_image(state: AppState) -> tuple[np.ndarray, str]:
    if not state.examples:
        raise gr.Error("No example images on this server; upload an image instead.")
    return load_example(state, int(np.random.default_rng().integers(len(state.examples))))


# ---------------------------------------------------------------------------------------------- the hole

def show_in_editor(state: AppState, image: np.ndarray | None, editor: dict | None) -> dict:
    """The image in the editor, keeping the hole map the person has drawn (redrawn block-aligned)."""
    return state.files.editor(editor_value(image, holes_from_editor(editor)))


def on_randomize(state: AppState, image: np.ndarray | None, family: str, coverage: float, seed: float) -> dict:
    return state.files.editor(editor_value(image, random_holes(family, coverage / 100, int(seed))))


def on_clear(state: AppState, image: np.ndarray | None) -> dict:
    return state.files.editor(editor_value(image, np.zeros((32, 32), dtype=bool)))


def on_brush_size(state: AppState, size: int):
    return gr.update(brush=gr.Brush(default_size=size * SCALE // 2, colors=[HOLE_HEX], color_mode="fixed"),
                     eraser=gr.Eraser(default_size=size * SCALE // 2))


# ---------------------------------------------------------------------------------------------- results

def on_run(state: AppState, image: np.ndarray | None, caption: str, editor: dict | None, model_name: str | None):
    """Tiles (original, masked, reconstruction, composite, error map), slider, metrics, comparison, download."""
    if image is None:
        return [None] * 6 + ["Pick an example or upload an image to start.", None, None]
    files = state.files
    holes = holes_from_editor(editor)
    results = {result.name: result for result in compare_all(image, holes, state.models)}
    shown = results.get(model_name) or results["OpenCV Telea"]  # without a model, the tiles show OpenCV
    slide = comparison_slide(image, holes, list(results.values()))
    masked, composite = files.png(upscale(masked_view(image, holes))), files.png(upscale(shown.composite))
    return (files.png(upscale(image)), masked, files.png(upscale(shown.reconstruction)), composite,
            files.png(upscale(error_heatmap(image, shown.composite))), (masked, composite),
            metrics_markdown(results.get(model_name), caption), files.png(slide, "inpainting-comparison"),
            files.png(slide, "inpainting-comparison"))


def on_probe(state: AppState, image: np.ndarray | None, model_name: str | None):
    """The encoder probe's and the pixel probe's top 3 classes for the image, and the caption."""
    pair = state.probes.get(model_name) if model_name else None
    if pair is None:
        message = NO_PROBE if state.models else "No model is loaded."
        return gr.update(value=None, visible=False), gr.update(value=None, visible=False), message
    if image is None:
        return None, None, probe_caption(pair)
    model = state.models[model_name].model
    pixels = top_classes(pair.pixels, image) if pair.pixels is not None else None
    return (gr.update(value=top_classes(pair.encoder, image, model), visible=True),
            gr.update(value=pixels, visible=pair.pixels is not None), probe_caption(pair))


def on_epoch(state: AppState, epoch: float, model_name: str | None):
    found = state.frames.get(model_name or "", {})
    if not found:
        return None, "This model's bundle has no training frames."
    shown, picture = load_frame(found, int(epoch), FRAME_SCALE)
    return state.files.png(picture, f"epoch-{shown:03d}"), f"Epoch {shown} of {max(found)}. {FRAMES_HELP}"


def on_frames_model(state: AppState, model_name: str | None):
    found = state.frames.get(model_name or "", {})
    last = max(found) if found else 1
    return (gr.update(minimum=1, maximum=max(last, 2), value=last, interactive=bool(found)),
            *on_epoch(state, last, model_name))


# ---------------------------------------------------------------------------------------------- the API

def inpaint(state: AppState, image: str, mask: str, model: str | None = None) -> tuple[str, str, dict]:
    """Fill the hole of `image` marked by `mask` (alpha > 0, or brightness > 127 without alpha, is missing)."""
    picture = read_image(image)
    holes = read_mask(mask, upright_size(image))
    name, inpainter = pick_model(state.models, model)
    result = model_result(inpainter, name, picture, holes)
    return (state.files.png(result.composite, "composite"), state.files.png(result.reconstruction, "reconstruction"),
            {"model": name, **result.metrics})
