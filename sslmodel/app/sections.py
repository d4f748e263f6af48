"""The page's sections, one builder each: choose, paint, fill, results, what it learned, watch it learn, and the API's
own components. Each creates its components where it is called and returns them as a record; `layout.build_demo`
places the sections and wires the events in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np

from ..holes import FAMILIES
from .hole_maps import random_holes
from .learned_layout import learned_panels
from .painter import hole_painter, painter_value
from .pixel_picker import pixel_picker
from .records import FillCheck, LabelCurve, LookalikesPanel
from .state import EXAMPLES_PER_CLASS, AppState

DEFAULT_HOLES = ("center", 0.25, 0)  # family, coverage, seed of the mask the page opens with
PAINT_HELP = ("Paint over the picture: every magenta square is one CIFAR pixel hidden from the model, exactly "
              "as the *Masked input* tile below shows. The eraser gives pixels back.")
RESULTS_HELP = ("**Original**: the 32×32 image the model sees. **Masked input**: magenta pixels are hidden from it. "
                "**Reconstruction**: the model's raw output for every pixel. **Composite**: the known pixels plus the "
                "filled hole. **Error map**: |composite − original|, black = exact, yellow = off by half the range "
                "or more.")
INFLUENCE_HELP = ("Bright known pixels are those the prediction depends on most (the size of its gradient with "
                  "respect to each known pixel's colour); the hole is magenta, the chosen pixel cyan. A network "
                  "that only copies its neighbours looks close by; one that fills large holes reads the whole image.")
LEARN_HELP = ("The model never saw a label. To see what its features capture anyway, a **linear classifier** reads "
              "them (left) and another reads the raw pixels (right): the gap is what self-supervised training added.")
TILES = {"original": "Original", "masked": "Masked input", "reconstruction": "Reconstruction",
         "composite": "Composite", "heatmap": "Error map"}  # Results field (and elem_id) -> label


@dataclass
class ChooseSection:
    gallery: gr.Gallery
    random_image: gr.Button
    upload: gr.File


def choose_section(state: AppState) -> ChooseSection:
    """1 · Choose an image: the gallery of examples, or an upload."""
    examples = state.examples
    gr.Markdown("### 1 · Choose an image")
    with gr.Tabs(selected="examples" if examples else "upload"):  # nothing to pick: open on upload
        with gr.Tab("CIFAR-10 examples", id="examples", elem_id="examples-tab"):
            gallery = gr.Gallery(state.gallery_items, columns=EXAMPLES_PER_CLASS, height=360, allow_preview=False,
                                 format="png", show_label=False, elem_id="examples", object_fit="contain",
                                 buttons=[], interactive=False)
            random_image = gr.Button("Random image", elem_id="random-image", interactive=bool(examples))
            if examples:
                gr.Markdown(f"{len(examples):,} images: {examples.source}. Click one to use it.", elem_classes="help")
        with gr.Tab("Upload your own", id="upload", elem_id="upload-tab"):
            upload = gr.File(label="Upload any image", file_types=["image"], elem_id="upload", height=200)
            gr.Markdown("Any size, format or colour mode. It is centre-cropped and shrunk to 32×32: "
                        "the painter shows exactly what the model sees.", elem_classes="help")
    return ChooseSection(gallery, random_image, upload)


@dataclass
class PaintSection:
    painter: gr.HTML
    family: gr.Dropdown
    coverage: gr.Slider
    seed: gr.Number
    randomize: gr.Button
    clear: gr.Button
    mask_upload: gr.UploadButton
    mask_download: gr.DownloadButton


def paint_section(first_image: np.ndarray | None) -> PaintSection:
    """2 · Paint the hole: the painter, random masks, and mask files."""
    gr.Markdown("### 2 · Paint the hole")
    painter = hole_painter(painter_value(first_image, random_holes(*DEFAULT_HOLES)), key_buttons={
        "R": ("randomize", "random mask"), "C": ("clear", "clear the mask")})  # keys for the buttons below
    gr.Markdown(PAINT_HELP, elem_classes="help")
    with gr.Group():
        with gr.Row():
            family = gr.Dropdown(list(FAMILIES), value=DEFAULT_HOLES[0], label="Mask shape", elem_id="family",
                                 min_width=110, scale=2)
            coverage = gr.Slider(5, 100, value=DEFAULT_HOLES[1] * 100, step=5, label="Coverage (%)",
                                 elem_id="coverage", min_width=150, scale=3)
            seed = gr.Number(DEFAULT_HOLES[2], precision=0, label="Seed", minimum=0, elem_id="seed", min_width=70,
                             scale=1)
    with gr.Row(elem_id="hole-buttons"):
        small = {"size": "sm", "min_width": 80}  # four in one line
        randomize = gr.Button("Random mask", elem_id="randomize", **small)
        clear = gr.Button("Clear mask", elem_id="clear", **small)
        mask_upload = gr.UploadButton("Load mask", file_types=["image"], elem_id="mask-upload", **small)
        mask_download = gr.DownloadButton("Save mask", elem_id="mask-download", **small)
    return PaintSection(painter, family, coverage, seed, randomize, clear, mask_upload, mask_download)


@dataclass
class FillSection:
    model: gr.Dropdown
    run: gr.Button
    metrics: gr.Markdown
    slider: gr.ImageSlider
    share: gr.Button
    share_link: gr.Textbox


def fill_section(state: AppState) -> FillSection:
    """3 · Fill it: the model, the metrics, the before/after slider, and a link to this exact view."""
    gr.Markdown("### 3 · Fill it")
    with gr.Row(equal_height=True):
        model = gr.Dropdown(state.model_names, value=state.first_model, label="Model", elem_id="model",
                            interactive=bool(state.model_names), scale=3)
        run = gr.Button("Inpaint", variant="primary", elem_id="run", scale=1)
    metrics = gr.Markdown(elem_id="metrics")
    slider = gr.ImageSlider(label="Before / after (drag the handle)", format="png", height=340, elem_id="slider",
                            elem_classes="pixelated", buttons=["fullscreen"])
    with gr.Row(elem_id="share-row", equal_height=True):
        share = gr.Button("Share this hole", elem_id="share", size="sm", scale=1, min_width=120)
        share_link = gr.Textbox(show_label=False, placeholder="a link that opens exactly this view",
                                elem_id="share-link", interactive=False, buttons=["copy"], scale=3, min_width=160,
                                max_lines=1)
    return FillSection(model, run, metrics, slider, share, share_link)


@dataclass
class ResultsSection:
    tiles: dict[str, gr.Image]  # TILES' fields -> their tiles
    influence: gr.Image
    influence_note: gr.Markdown
    picker: gr.HTML
    compare: gr.Button
    comparison: gr.Image
    download: gr.DownloadButton


def tile(elem_id: str, label: str, **options) -> gr.Image:
    return gr.Image(label=label, format="png", elem_id=elem_id, elem_classes=["pixelated", "result-tile"],
                    interactive=False, buttons=["download", "fullscreen"], min_width=160, height=200, **options)


def results_section() -> ResultsSection:
    """The result tiles, where the model looked, and "compare all"."""
    gr.Markdown("### Results", elem_id="results-heading")
    with gr.Row(elem_id="tiles"):
        tiles = {name: tile(name, label) for name, label in TILES.items()}
    gr.Markdown(RESULTS_HELP, elem_classes="help")
    gr.Markdown("### Where did it look?", elem_id="influence-heading")
    with gr.Row(elem_id="influence-row", equal_height=False):
        influence = tile("influence", "Influence on the fill", scale=1)
        with gr.Column(scale=3):
            influence_note = gr.Markdown(elem_id="influence-note")
            picker = pixel_picker()
            gr.Markdown(INFLUENCE_HELP, elem_classes="help")
    gr.Markdown("### Compare all: the same hole, every model and OpenCV's classical inpainting")
    compare = gr.Button("Compare all methods on this hole", elem_id="compare-all")
    comparison = gr.Image(format="png", show_label=False, elem_id="compare", elem_classes="pixelated",
                          interactive=False, buttons=["fullscreen"])
    download = gr.DownloadButton("⬇ Download the comparison (PNG, for a slide)", elem_id="download", visible=False)
    return ResultsSection(tiles, influence, influence_note, picker, compare, comparison, download)


@dataclass
class LearnedSection:
    encoder: gr.Label
    pixels: gr.Label
    probe_note: gr.Markdown
    lookalikes: LookalikesPanel
    label_curve: LabelCurve
    fill_check: FillCheck


def learned_section() -> LearnedSection:
    """What did it learn? The probes' guesses, look-alikes, the maps, the few-label curve, the fill's class."""
    with gr.Accordion("What did it learn? Its guess at the class, look-alikes, a map, what a few labels buy",
                      open=True, elem_id="learned"):
        gr.Markdown(LEARN_HELP, elem_classes="help")
        with gr.Row():
            encoder = gr.Label(num_top_classes=3, label="From the model's features", elem_id="probe-encoder")
            pixels = gr.Label(num_top_classes=3, label="From the raw pixels", elem_id="probe-pixels")
        probe_note = gr.Markdown(elem_id="probe-note", elem_classes="help")
        lookalikes, label_curve, fill_check = learned_panels()
    return LearnedSection(encoder, pixels, probe_note, lookalikes, label_curve, fill_check)


@dataclass
class WatchSection:
    epoch: gr.Slider
    frame: gr.Image
    frame_note: gr.Markdown


def watch_section(state: AppState) -> WatchSection:
    """Watch it learn: the first model's training frames, epoch by epoch."""
    with gr.Accordion("Watch it learn: the same images after every training epoch", open=True, elem_id="watch"):
        first_frames = state.frames(state.first_model)
        last_epoch = max(first_frames) if first_frames else 1
        epoch = gr.Slider(1, max(last_epoch, 2), value=last_epoch, step=1, label="Epoch", elem_id="epoch",
                          interactive=bool(first_frames))
        frame = gr.Image(format="png", show_label=False, elem_id="frame", elem_classes="pixelated",
                         interactive=False, buttons=["fullscreen"])
        frame_note = gr.Markdown(elem_id="frame-note", elem_classes="help")
    return WatchSection(epoch, frame, frame_note)


@dataclass
class ApiSection:
    image: gr.File
    mask: gr.File
    model: gr.Textbox
    composite: gr.Image
    reconstruction: gr.Image
    metrics: gr.JSON
    button: gr.Button


def api_section(state: AppState) -> ApiSection:
    """The /inpaint endpoint's own inputs and outputs, never shown."""
    with gr.Row(visible=False):
        return ApiSection(gr.File(label="image"), gr.File(label="mask"),
                          gr.Textbox(label="model", value=state.first_model or ""),
                          gr.Image(label="composite", format="png"), gr.Image(label="reconstruction", format="png"),
                          gr.JSON(label="metrics"), gr.Button())
