"""Inpainting playground: hide part of a 32x32 image and watch the models fill it in.

    python app.py                                  # http://127.0.0.1:7860, the shipped models
    python app.py --model runs/default --examples data/train   # a bundle folder (or Hub repo id) and example images
    python app.py --host 0.0.0.0 --port 8080 --share

Environment: GRADIO_SERVER_NAME, GRADIO_SERVER_PORT, MODEL_REPO (an extra bundle folder or Hub repo id),
SSLMODEL_EXAMPLES (a folder of example images), HF_HUB_OFFLINE=1 (never download anything).
API: `/inpaint` takes an image file, a mask file and a model name, and returns the composite, the raw
reconstruction (32x32 PNGs) and a dict of metrics; see `python app.py` then "Use via API" at the page's foot.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Sequence

import gradio as gr
import numpy as np
import torch
from PIL import Image

from sslmodel import BundleError, ImageError, Inpainter, prepare_holes, prepare_image, shipped_models
from sslmodel.compare import Result, compare_all, comparison_slide, error_heatmap, format_db, model_result, png_bytes
from sslmodel.atomic import atomic_path
from sslmodel.editor import HOLE_HEX, SCALE, editor_value, holes_from_editor, masked_view, random_holes, upscale
from sslmodel.examples import ExampleSet, find_examples
from sslmodel.holes import FAMILIES
from sslmodel.showcase import ProbePair, bundle_folder, list_frames, load_frame, load_probe_pair, probe_caption, top_classes

HOST, PORT = "127.0.0.1", 7860
MAX_FILE_SIZE = "10mb"  # uploads above this are refused before they reach a handler
QUEUE_SIZE = 32  # requests waiting beyond this are turned away ("queue full") instead of piling up
CONCURRENCY = 2  # inference runs at once: one per vCPU of a free Space
TORCH_THREADS = 1  # per run: with CONCURRENCY runs at once, more threads only wait on each other (40x slower
                   # than one when the other vCPU is busy)
EXAMPLES_PER_CLASS = 3
BRUSH_SIZES = (1, 2, 3, 4)  # brush diameters in CIFAR pixels
DEFAULT_BRUSH = 2
DEFAULT_HOLES = ("center", 0.25, 0)  # family, coverage, seed of the mask the page opens with
OUTPUT_DIR = Path(tempfile.gettempdir()) / "sslmodel-app"  # the PNGs handlers return (see OutputFiles)
OUTPUT_MAX_AGE = 3600  # seconds an output PNG is kept
THEME = gr.themes.Soft(primary_hue="fuchsia", secondary_hue="slate", radius_size="md")
CSS = """
.pixelated img, .pixelated canvas, #examples img { image-rendering: pixelated; }
.result-tile img { object-fit: contain; }
#metrics { font-size: 1.15rem; }
#metrics strong { font-size: 1.5rem; }
.help { font-size: 0.9rem; opacity: 0.8; }
.notice { border-left: 4px solid #c026d3; padding-left: 0.75rem; }
"""
LAUNCH_OPTIONS = {"max_file_size": MAX_FILE_SIZE, "theme": THEME, "css": CSS, "footer_links": ["api", "gradio"]}
PAINT_HELP = ("A CIFAR pixel is missing when at least half of its square is painted; the *Masked input* tile "
              "below shows exactly the holes the model gets.")
RESULTS_HELP = ("**Original**: the 32×32 image the model sees. **Masked input**: magenta pixels are hidden from it. "
                "**Reconstruction**: the model's raw output for every pixel. **Composite**: the known pixels plus the "
                "filled hole. **Error map**: |composite − original|, black = exact, yellow = off by half the range "
                "or more.")
FRAME_SCALE = 4
NO_PROBE = ("This model's bundle has no class probe, so there is nothing to show here "
            "(make one with `python -m sslmodel.probe --save-probe`).")
LEARN_HELP = ("The model never saw a label. To see what its features capture anyway, a **linear classifier** reads "
              "them (left) and another reads the raw pixels (right): the gap is what self-supervised training added.")
FRAMES_HELP = ("Each column is one validation image. Rows, top to bottom: **original**, **masked** input (black = "
               "hidden), the model's **reconstruction** after that epoch of training.")
HEADER = """# Fill the hole
A small network trained **without labels** on 32×32 CIFAR-10 images fills in pixels it cannot see.
**1** pick or upload an image · **2** paint over part of it (magenta = missing) or draw a random mask ·
**3** the result appears as you go. *Hole PSNR* compares the filled pixels with the hidden original: higher is better.
"""


# ---------------------------------------------------------------------------------------------- models

def load_models(names: Sequence[str]) -> tuple[dict[str, Inpainter], list[str]]:
    """Shipped model names, bundle folders or Hub repo ids -> {name: Inpainter}, plus what failed to load."""
    models, problems = {}, []
    for name in dict.fromkeys(name for name in names if name):
        try:
            models[name] = Inpainter.from_pretrained(name)
        except BundleError as error:
            problems.append(f"`{name}`: {error}")
    return models, problems


def no_model_notice(problems: list[str]) -> str:
    lines = ["**No model is loaded**, so only OpenCV's classical inpainting is shown."]
    lines += [f"- {problem}" for problem in problems]
    lines.append("Train one with `python train.py --out pretrained/default`, or start the app with "
                 "`--model FOLDER_OR_HUB_REPO_ID` (or set `MODEL_REPO`).")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- pure helpers

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


def pick_model(models: dict[str, Inpainter], name: str | None) -> tuple[str, Inpainter]:
    if not models:
        raise gr.Error("No model is loaded on this server; start it with --model FOLDER_OR_HUB_REPO_ID.")
    name = name or next(iter(models))
    if name not in models:
        raise gr.Error(f"Unknown model {name!r}; choose one of: {', '.join(models)}.")
    return name, models[name]


def metrics_markdown(result: Result | None, caption: str) -> str:
    if result is None:
        return f"{caption}\n\nNo model loaded."
    m = result.metrics
    return (f"Hole PSNR **{format_db(m['hole_psnr'])}** · SSIM **{m['ssim']:.3f}**\n\n"
            f"{m['hole_pixels']} of 1024 pixels missing ({m['hole_fraction']:.0%}) · model `{result.name}` · {caption}")


class OutputFiles:
    """PNG files for the pictures handlers return, each written once, atomically, under a content-derived name.

    Gradio saves a returned array by overwriting a file named after its content, so two requests that
    produce the same picture (the same example and mask, or one picture shown twice) can hand a reader a
    truncated file. A returned file path is instead copied into Gradio's cache atomically.
    """

    def __init__(self, folder: Path = OUTPUT_DIR, max_age: float = OUTPUT_MAX_AGE):
        self.folder, self.max_age, self.pruned_at = folder, max_age, time.time()

    def png(self, image: np.ndarray | Image.Image, name: str = "image") -> str:
        data = png_bytes(image if isinstance(image, Image.Image) else Image.fromarray(image))
        path = self.folder / hashlib.sha256(data).hexdigest()[:20] / f"{name}.png"
        if not path.exists():
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
        self.prune()
        return str(path)

    def editor(self, value: dict) -> dict:
        """An editor value (see sslmodel.editor.editor_value) with its pictures as files."""
        return {"background": self.png(value["background"], "background"),
                "layers": [self.png(layer, "holes") for layer in value["layers"]],
                "composite": self.png(value["composite"], "composite")}

    def prune(self) -> None:
        """At most every max_age / 10 seconds, delete files older than max_age (Gradio keeps its own copies)."""
        now = time.time()
        if now - self.pruned_at < self.max_age / 10:
            return
        self.pruned_at = now
        for path in self.folder.glob("*/*.png"):
            if now - path.stat().st_mtime > self.max_age:
                path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- the page

def build_demo(models: dict[str, Inpainter], examples: ExampleSet | None, notice: str = "") -> gr.Blocks:
    """The whole app for these models and examples; `demo` below is built from the command line/environment."""
    gallery_indices, gallery_items = examples.gallery(EXAMPLES_PER_CLASS) if examples else ([], [])
    gallery_items = [(upscale(image, 4), label) for image, label in gallery_items]
    first_image = examples.load(gallery_indices[0]) if gallery_indices else None
    first_holes = random_holes(*DEFAULT_HOLES)
    first_caption = f"{examples.labels[gallery_indices[0]]} (example)" if gallery_indices else ""
    model_names = list(models)
    files = OutputFiles()
    folders = {name: bundle_folder(name) or bundle_folder(models[name].name) for name in model_names}
    probes: dict[str, ProbePair | None] = {name: load_probe_pair(folder) if folder else None
                                           for name, folder in folders.items()}
    frames = {name: list_frames(folder) if folder else {} for name, folder in folders.items()}

    # Picking an image takes two steps, so that a refused upload leaves the editor as it was:
    # first the 32x32 image and its caption (or a gr.Error), then, on success, the editor.
    def on_upload(path: str | None) -> tuple[np.ndarray, str]:
        if not path:
            return gr.skip(), gr.skip()
        return read_image(path), f"your upload ({Path(path).name})"

    def load_example(index: int) -> tuple[np.ndarray, str]:
        try:
            return examples.load(index), f"{examples.labels[index]} (example #{index})"
        except ImageError as error:
            raise gr.Error(f"Example: {error}") from None

    def on_gallery_select(event: gr.SelectData) -> tuple[np.ndarray, str]:
        return load_example(gallery_indices[event.index])

    def on_random_image() -> tuple[np.ndarray, str]:
        if not examples:
            raise gr.Error("No example images on this server; upload an image instead.")
        return load_example(int(np.random.default_rng().integers(len(examples))))

    def show_in_editor(image: np.ndarray | None, editor: dict | None) -> dict:
        """The image in the editor, keeping the hole map the person has drawn (redrawn block-aligned)."""
        return files.editor(editor_value(image, holes_from_editor(editor)))

    def on_randomize(image: np.ndarray | None, family: str, coverage: float, seed: float):
        return files.editor(editor_value(image, random_holes(family, coverage / 100, int(seed))))

    def on_clear(image: np.ndarray | None):
        return files.editor(editor_value(image, np.zeros((32, 32), dtype=bool)))

    def on_brush_size(size: int):
        return gr.update(brush=gr.Brush(default_size=size * SCALE // 2, colors=[HOLE_HEX], color_mode="fixed"),
                         eraser=gr.Eraser(default_size=size * SCALE // 2))

    def on_run(image: np.ndarray | None, caption: str, editor: dict | None, model_name: str | None):
        if image is None:
            return [None] * 6 + ["Pick an example or upload an image to start.", None, None]
        holes = holes_from_editor(editor)
        results = {result.name: result for result in compare_all(image, holes, models)}
        shown = results.get(model_name) or results["OpenCV Telea"]  # without a model, the tiles show OpenCV
        slide = comparison_slide(image, holes, list(results.values()))
        masked, composite = files.png(upscale(masked_view(image, holes))), files.png(upscale(shown.composite))
        return (files.png(upscale(image)), masked, files.png(upscale(shown.reconstruction)), composite,
                files.png(upscale(error_heatmap(image, shown.composite))), (masked, composite),
                metrics_markdown(results.get(model_name), caption), files.png(slide, "inpainting-comparison"),
                files.png(slide, "inpainting-comparison"))

    def on_probe(image: np.ndarray | None, model_name: str | None):
        """The encoder probe's and the pixel probe's top 3 classes for the image, and the caption."""
        pair = probes.get(model_name) if model_name else None
        if pair is None:
            message = NO_PROBE if models else "No model is loaded."
            return gr.update(value=None, visible=False), gr.update(value=None, visible=False), message
        if image is None:
            return None, None, probe_caption(pair)
        model = models[model_name].model
        pixels = top_classes(pair.pixels, image) if pair.pixels is not None else None
        return (gr.update(value=top_classes(pair.encoder, image, model), visible=True),
                gr.update(value=pixels, visible=pair.pixels is not None), probe_caption(pair))

    def on_epoch(epoch: float, model_name: str | None):
        found = frames.get(model_name or "", {})
        if not found:
            return None, "This model's bundle has no training frames."
        shown, picture = load_frame(found, int(epoch), FRAME_SCALE)
        return files.png(picture, f"epoch-{shown:03d}"), f"Epoch {shown} of {max(found)}. {FRAMES_HELP}"

    def on_frames_model(model_name: str | None):
        found = frames.get(model_name or "", {})
        last = max(found) if found else 1
        return (gr.update(minimum=1, maximum=max(last, 2), value=last, interactive=bool(found)),
                *on_epoch(last, model_name))

    def inpaint(image: str, mask: str, model: str | None = None) -> tuple[str, str, dict]:
        """Fill the hole of `image` marked by `mask` (alpha > 0, or brightness > 127 without alpha, is missing)."""
        picture = read_image(image)
        holes = read_mask(mask, upright_size(image))
        name, inpainter = pick_model(models, model)
        result = model_result(inpainter, name, picture, holes)
        return (files.png(result.composite, "composite"), files.png(result.reconstruction, "reconstruction"),
                {"model": name, **result.metrics})

    with gr.Blocks(title="Fill the hole: self-supervised inpainting", delete_cache=(3600, 3600)) as demo:
        image_state = gr.State(first_image)
        caption_state = gr.State(first_caption)
        gr.Markdown(HEADER)
        if notice:
            gr.Markdown(notice, elem_classes="notice")
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=320):
                gr.Markdown("### 1 · Choose an image")
                with gr.Tabs(selected="examples" if examples else "upload"):  # nothing to pick: open on upload
                    with gr.Tab("CIFAR-10 examples", id="examples", elem_id="examples-tab"):
                        gallery = gr.Gallery(gallery_items, columns=EXAMPLES_PER_CLASS, height=360, allow_preview=False,
                                             format="png", show_label=False, elem_id="examples",
                                             object_fit="contain", buttons=[], interactive=False)
                        random_image = gr.Button("Random image", elem_id="random-image",
                                                 interactive=bool(examples))
                        if examples:
                            gr.Markdown(f"{len(examples):,} images: {examples.source}. Click one to use it.")
                    with gr.Tab("Upload your own", id="upload", elem_id="upload-tab"):
                        upload = gr.File(label="Upload any image", file_types=["image"], elem_id="upload",
                                         height=200)
                        gr.Markdown("Any size, format or colour mode. It is centre-cropped and shrunk to 32×32: "
                                    "the editor shows exactly what the model sees.")
            with gr.Column(scale=4, min_width=320):
                gr.Markdown("### 2 · Paint the hole")
                editor = gr.ImageEditor(
                    editor_value(first_image, first_holes), type="numpy", image_mode="RGBA", format="png",
                    sources=(), transforms=(), layers=False, canvas_size=(32 * SCALE, 32 * SCALE),
                    fixed_canvas=True, height=400, show_label=False, elem_id="editor", elem_classes="pixelated",
                    brush=gr.Brush(default_size=DEFAULT_BRUSH * SCALE // 2, colors=[HOLE_HEX], color_mode="fixed"),
                    eraser=gr.Eraser(default_size=DEFAULT_BRUSH * SCALE // 2), buttons=[])
                brush_size = gr.Radio(list(BRUSH_SIZES), value=DEFAULT_BRUSH, label="Brush and eraser size "
                                      "(CIFAR pixels)", elem_id="brush-size")
                gr.Markdown(PAINT_HELP, elem_classes="help")
                with gr.Group():
                    with gr.Row():
                        family = gr.Dropdown(list(FAMILIES), value=DEFAULT_HOLES[0], label="Mask shape",
                                             elem_id="family", min_width=110, scale=2)
                        coverage = gr.Slider(5, 100, value=DEFAULT_HOLES[1] * 100, step=5, label="Coverage (%)",
                                             elem_id="coverage", min_width=150, scale=3)
                        seed = gr.Number(DEFAULT_HOLES[2], precision=0, label="Seed", minimum=0, elem_id="seed",
                                         min_width=70, scale=1)
                with gr.Row():
                    randomize = gr.Button("Random mask", elem_id="randomize")
                    clear = gr.Button("Clear mask", elem_id="clear")
            with gr.Column(scale=4, min_width=320):
                gr.Markdown("### 3 · Fill it")
                with gr.Row(equal_height=True):
                    model = gr.Dropdown(model_names, value=model_names[0] if model_names else None, label="Model",
                                        elem_id="model", interactive=bool(model_names), scale=3)
                    run = gr.Button("Inpaint", variant="primary", elem_id="run", scale=1)
                metrics = gr.Markdown(elem_id="metrics")
                slider = gr.ImageSlider(label="Before / after (drag the handle)", format="png", height=340,
                                        elem_id="slider", elem_classes="pixelated", buttons=["fullscreen"])
        gr.Markdown("### Results")
        with gr.Row():
            tile = lambda label, elem_id: gr.Image(label=label, format="png", elem_id=elem_id,  # noqa: E731
                                                   elem_classes=["pixelated", "result-tile"], interactive=False,
                                                   buttons=["download", "fullscreen"], min_width=160)
            original_tile = tile("Original", "original")
            masked_tile = tile("Masked input", "masked")
            reconstruction_tile = tile("Reconstruction", "reconstruction")
            composite_tile = tile("Composite", "composite")
            heat_tile = tile("Error map", "heatmap")
        gr.Markdown(RESULTS_HELP, elem_classes="help")
        gr.Markdown("### Compare all: the same hole, every model and OpenCV's classical inpainting")
        compare_image = gr.Image(format="png", show_label=False, elem_id="compare", elem_classes="pixelated",
                                 interactive=False, buttons=["fullscreen"])
        download = gr.DownloadButton("⬇ Download the comparison (PNG, for a slide)", elem_id="download")

        first_model = model_names[0] if model_names else None
        with gr.Accordion("What did it learn? The model's guess at the image's class", open=True,
                          elem_id="learned"):
            gr.Markdown(LEARN_HELP, elem_classes="help")
            with gr.Row():
                encoder_label = gr.Label(num_top_classes=3, label="From the model's features", elem_id="probe-encoder")
                pixels_label = gr.Label(num_top_classes=3, label="From the raw pixels", elem_id="probe-pixels")
            probe_note = gr.Markdown(elem_id="probe-note", elem_classes="help")
        with gr.Accordion("Watch it learn: the same images after every training epoch", open=True,
                          elem_id="watch"):
            first_frames = frames.get(first_model or "", {})
            last_epoch = max(first_frames) if first_frames else 1
            epoch = gr.Slider(1, max(last_epoch, 2), value=last_epoch, step=1, label="Epoch", elem_id="epoch",
                              interactive=bool(first_frames))
            frame_image = gr.Image(format="png", show_label=False, elem_id="frame", elem_classes="pixelated",
                                   interactive=False, buttons=["fullscreen"])
            frame_note = gr.Markdown(elem_id="frame-note", elem_classes="help")

        with gr.Row(visible=False):  # the /inpaint API endpoint's own inputs and outputs
            api_image, api_mask = gr.File(label="image"), gr.File(label="mask")
            api_model = gr.Textbox(label="model", value=model_names[0] if model_names else "")
            api_composite = gr.Image(label="composite", format="png")
            api_reconstruction = gr.Image(label="reconstruction", format="png")
            api_metrics = gr.JSON(label="metrics")
            api_button = gr.Button()

        picked = [image_state, caption_state]
        for event in (upload.upload(on_upload, upload, picked, api_visibility="private"),
                      gallery.select(on_gallery_select, None, picked, api_visibility="private"),
                      random_image.click(on_random_image, None, picked, api_visibility="private")):
            event.success(show_in_editor, [image_state, editor], editor, api_visibility="private")
            event.success(on_probe, [image_state, model], [encoder_label, pixels_label, probe_note],
                          api_visibility="private")
        randomize.click(on_randomize, [image_state, family, coverage, seed], editor, api_visibility="private")
        clear.click(on_clear, [image_state], editor, api_visibility="private")
        brush_size.change(on_brush_size, brush_size, editor, api_visibility="private")
        outputs = [original_tile, masked_tile, reconstruction_tile, composite_tile, heat_tile, slider, metrics,
                   compare_image, download]
        gr.on([demo.load, editor.change, model.change, run.click], on_run,
              [image_state, caption_state, editor, model], outputs, trigger_mode="always_last",
              show_progress="minimal", api_visibility="private")
        gr.on([demo.load, model.change], on_probe, [image_state, model], [encoder_label, pixels_label, probe_note],
              trigger_mode="always_last", show_progress="hidden", api_visibility="private")
        gr.on([demo.load, model.change], on_frames_model, model, [epoch, frame_image, frame_note],
              show_progress="hidden", api_visibility="private")
        epoch.change(on_epoch, [epoch, model], [frame_image, frame_note], trigger_mode="always_last",
                     show_progress="hidden", api_visibility="private")
        api_button.click(inpaint, [api_image, api_mask, api_model],
                         [api_composite, api_reconstruction, api_metrics], api_name="inpaint")
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    return demo


def page_notice(models: dict[str, Inpainter], problems: list[str], examples_note: str) -> str:
    """What the page says above everything else: models that did not load, how to get examples."""
    model_note = no_model_notice(problems) if not models else "\n".join(f"Could not load {p}" for p in problems)
    return "\n\n".join(note for note in (model_note, examples_note) if note)


# Loaded once, at import: the shipped bundles plus $MODEL_REPO, and the examples found without downloading.
MODELS, MODEL_PROBLEMS = load_models([*shipped_models(), os.environ.get("MODEL_REPO", "")])
EXAMPLES, EXAMPLES_NOTE = find_examples()
demo = build_demo(MODELS, EXAMPLES, page_notice(MODELS, MODEL_PROBLEMS, EXAMPLES_NOTE))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", HOST),
                        help="address to listen on (default $GRADIO_SERVER_NAME or %(default)s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", PORT)),
                        help="port (default $GRADIO_SERVER_PORT or %(default)s)")
    parser.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    parser.add_argument("--model", action="append", default=[], metavar="FOLDER_OR_REPO_ID",
                        help="an extra bundle folder or Hub repo id to offer (repeatable); $MODEL_REPO adds one too")
    parser.add_argument("--examples", metavar="DIR", help="a folder of example images, class subfolders as labels "
                        "(default $SSLMODEL_EXAMPLES, else the CIFAR-10 test set, downloaded when online)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    torch.set_num_threads(TORCH_THREADS)
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    if args.model or args.examples or (EXAMPLES is None and not offline):
        extra, problems = load_models(args.model)
        MODELS, MODEL_PROBLEMS = {**MODELS, **extra}, MODEL_PROBLEMS + problems
        if args.examples or not offline:
            print("looking for example images" + ("" if args.examples else " (downloading CIFAR-10's test set)"))
            EXAMPLES, EXAMPLES_NOTE = find_examples(args.examples, download=not offline)
        demo = build_demo(MODELS, EXAMPLES, page_notice(MODELS, MODEL_PROBLEMS, EXAMPLES_NOTE))
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, **LAUNCH_OPTIONS)
