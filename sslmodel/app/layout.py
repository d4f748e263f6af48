"""The page: components and their wiring to the handlers, nothing else.

Every event's outputs are a record of sslmodel.app.records filled with components, the same record its handler
fills with values, so outputs and values meet by field name.
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable

import gradio as gr

from ..holes import FAMILIES
from ..preprocess import MODEL_SIZE
from . import handlers
from .hole_maps import random_holes
from .learned_layout import learned_panels
from .painter import hole_painter, painter_value
from .presentation import PRESENT_CSS, page_switches
from .records import Comparison, Frame, FramesPanel, Inpainted, NewHole, PickedImage, ProbeGuesses, Results, flatten
from .state import EXAMPLES_PER_CLASS, AppState

QUEUE_SIZE = 32  # requests waiting beyond this are turned away ("queue full") instead of piling up
CONCURRENCY = 2  # model runs at once, over all the events that run one: one per vCPU of a free Space
MODEL_GROUP = "model"  # the concurrency group of every event that runs a model (the limit is per group)
TORCH_THREADS = 1  # per request: with two requests at once, more threads only wait on each other (40x slower
                   # than one when the other vCPU is busy)
MAX_FILE_SIZE = "10mb"  # uploads above this are refused before they reach a handler
DEFAULT_HOLES = ("center", 0.25, 0)  # family, coverage, seed of the mask the page opens with
THEME = gr.themes.Soft(primary_hue="fuchsia", secondary_hue="slate", radius_size="md")
CSS = """
.pixelated img, .pixelated canvas, #examples img { image-rendering: pixelated; }
.result-tile img { width: 100%; height: 100%; object-fit: contain; }
#metrics { font-size: 1.15rem; }
#hole-buttons > button { flex: 1 1 auto !important; white-space: nowrap; }
#metrics strong { font-size: 1.5rem; }
.help { font-size: 0.9rem; opacity: 0.8; }
.notice { border-left: 4px solid #c026d3; padding-left: 0.75rem; }
"""
LAUNCH_OPTIONS = {"max_file_size": MAX_FILE_SIZE, "theme": THEME, "css": CSS + PRESENT_CSS,
                  "footer_links": ["api", "gradio"]}
PAINT_HELP = ("Paint over the picture: every magenta square is one CIFAR pixel hidden from the model, exactly "
              "as the *Masked input* tile below shows. The eraser gives pixels back.")
RESULTS_HELP = ("**Original**: the 32×32 image the model sees. **Masked input**: magenta pixels are hidden from it. "
                "**Reconstruction**: the model's raw output for every pixel. **Composite**: the known pixels plus the "
                "filled hole. **Error map**: |composite − original|, black = exact, yellow = off by half the range "
                "or more.")
LEARN_HELP = ("The model never saw a label. To see what its features capture anyway, a **linear classifier** reads "
              "them (left) and another reads the raw pixels (right): the gap is what self-supervised training added.")
TILES = {"original": "Original", "masked": "Masked input", "reconstruction": "Reconstruction",
         "composite": "Composite", "heatmap": "Error map"}  # Results field (and elem_id) -> label
HEADER = """# Fill the hole
A small network trained **without labels** on 32×32 CIFAR-10 images fills in pixels it cannot see.
**1** pick or upload an image · **2** paint over part of it (magenta = missing) or draw a random mask ·
**3** the result appears as you go. *Hole PSNR* compares the filled pixels with the hidden original: higher is better.
"""


def bind(handler: Callable, state: AppState) -> Callable:
    """`handler(state, *inputs)` as `fn(*inputs)` returning its record's values in field order, keeping the
    parameters and type hints Gradio reads (their names become the API's, a `gr.SelectData` hint receives the event)."""
    @functools.wraps(handler)
    def bound(*inputs):
        values = flatten(handler(state, *inputs))
        return values[0] if len(values) == 1 else values  # Gradio takes a lone output's value as it is
    signature = inspect.signature(handler)
    bound.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:],
                                            return_annotation=tuple)
    return bound


def build_demo(state: AppState, queue_size: int = QUEUE_SIZE) -> gr.Blocks:
    """The whole page for this state; launch it with `demo.launch(**LAUNCH_OPTIONS)`."""
    examples, model_names, first_model = state.examples, state.model_names, state.first_model
    first_index = state.gallery_indices[0] if state.gallery_indices else None
    first_image = examples.load(first_index) if first_index is not None else None
    first_caption = f"{examples.labels[first_index]} (example)" if first_index is not None else ""
    on = functools.partial(bind, state=state)
    model_run = {"concurrency_id": MODEL_GROUP, "concurrency_limit": CONCURRENCY}  # events that run a model

    with gr.Blocks(title="Fill the hole: self-supervised inpainting", delete_cache=(3600, 3600)) as demo:
        image_state = gr.State(first_image)
        caption_state = gr.State(first_caption)
        size_state = gr.State((MODEL_SIZE, MODEL_SIZE))  # the picked file's size: a mask of that size loads too
        page_switches()  # presentation mode and the dark theme
        gr.Markdown(HEADER, elem_id="header")
        if state.notice:
            gr.Markdown(state.notice, elem_classes="notice")
        with gr.Row(equal_height=False, elem_id="steps"):
            with gr.Column(scale=4, min_width=320, elem_id="choose-column"):
                gr.Markdown("### 1 · Choose an image")
                with gr.Tabs(selected="examples" if examples else "upload"):  # nothing to pick: open on upload
                    with gr.Tab("CIFAR-10 examples", id="examples", elem_id="examples-tab"):
                        gallery = gr.Gallery(state.gallery_items, columns=EXAMPLES_PER_CLASS, height=360,
                                             allow_preview=False, format="png", show_label=False, elem_id="examples",
                                             object_fit="contain", buttons=[], interactive=False)
                        random_image = gr.Button("Random image", elem_id="random-image",
                                                 interactive=bool(examples))
                        if examples:
                            gr.Markdown(f"{len(examples):,} images: {examples.source}. Click one to use it.",
                                        elem_classes="help")
                    with gr.Tab("Upload your own", id="upload", elem_id="upload-tab"):
                        upload = gr.File(label="Upload any image", file_types=["image"], elem_id="upload",
                                         height=200)
                        gr.Markdown("Any size, format or colour mode. It is centre-cropped and shrunk to 32×32: "
                                    "the painter shows exactly what the model sees.", elem_classes="help")
            with gr.Column(scale=4, min_width=320, elem_id="paint-column"):
                gr.Markdown("### 2 · Paint the hole")
                painter = hole_painter(painter_value(first_image, random_holes(*DEFAULT_HOLES)), key_buttons={
                    "R": ("randomize", "random mask"), "C": ("clear", "clear the mask")})  # keys for the buttons below
                gr.Markdown(PAINT_HELP, elem_classes="help")
                with gr.Group():
                    with gr.Row():
                        family = gr.Dropdown(list(FAMILIES), value=DEFAULT_HOLES[0], label="Mask shape",
                                             elem_id="family", min_width=110, scale=2)
                        coverage = gr.Slider(5, 100, value=DEFAULT_HOLES[1] * 100, step=5, label="Coverage (%)",
                                             elem_id="coverage", min_width=150, scale=3)
                        seed = gr.Number(DEFAULT_HOLES[2], precision=0, label="Seed", minimum=0, elem_id="seed",
                                         min_width=70, scale=1)
                with gr.Row(elem_id="hole-buttons"):
                    small = {"size": "sm", "min_width": 80}  # four in one line
                    randomize = gr.Button("Random mask", elem_id="randomize", **small)
                    clear = gr.Button("Clear mask", elem_id="clear", **small)
                    mask_upload = gr.UploadButton("Load mask", file_types=["image"], elem_id="mask-upload", **small)
                    mask_download = gr.DownloadButton("Save mask", elem_id="mask-download", **small)
            with gr.Column(scale=4, min_width=320, elem_id="fill-column"):
                gr.Markdown("### 3 · Fill it")
                with gr.Row(equal_height=True):
                    model = gr.Dropdown(model_names, value=first_model, label="Model", elem_id="model",
                                        interactive=bool(model_names), scale=3)
                    run = gr.Button("Inpaint", variant="primary", elem_id="run", scale=1)
                metrics = gr.Markdown(elem_id="metrics")
                slider = gr.ImageSlider(label="Before / after (drag the handle)", format="png", height=340,
                                        elem_id="slider", elem_classes="pixelated", buttons=["fullscreen"])
        gr.Markdown("### Results", elem_id="results-heading")
        with gr.Row(elem_id="tiles"):
            tiles = {name: gr.Image(label=label, format="png", elem_id=name, elem_classes=["pixelated", "result-tile"],
                                    interactive=False, buttons=["download", "fullscreen"], min_width=160, height=200)
                     for name, label in TILES.items()}
        gr.Markdown(RESULTS_HELP, elem_classes="help")
        gr.Markdown("### Compare all: the same hole, every model and OpenCV's classical inpainting")
        compare = gr.Button("Compare all methods on this hole", elem_id="compare-all")
        compare_image = gr.Image(format="png", show_label=False, elem_id="compare", elem_classes="pixelated",
                                 interactive=False, buttons=["fullscreen"])
        download = gr.DownloadButton("⬇ Download the comparison (PNG, for a slide)", elem_id="download",
                                     visible=False)

        with gr.Accordion("What did it learn? Its guess at the class, look-alikes, a map, what a few labels buy",
                          open=True, elem_id="learned"):
            gr.Markdown(LEARN_HELP, elem_classes="help")
            with gr.Row():
                encoder_label = gr.Label(num_top_classes=3, label="From the model's features", elem_id="probe-encoder")
                pixels_label = gr.Label(num_top_classes=3, label="From the raw pixels", elem_id="probe-pixels")
            probe_note = gr.Markdown(elem_id="probe-note", elem_classes="help")
            lookalikes, label_curve, fill_check = learned_panels()  # records of components
        with gr.Accordion("Watch it learn: the same images after every training epoch", open=True,
                          elem_id="watch"):
            first_frames = state.frames(first_model)
            last_epoch = max(first_frames) if first_frames else 1
            epoch = gr.Slider(1, max(last_epoch, 2), value=last_epoch, step=1, label="Epoch", elem_id="epoch",
                              interactive=bool(first_frames))
            frame_image = gr.Image(format="png", show_label=False, elem_id="frame", elem_classes="pixelated",
                                   interactive=False, buttons=["fullscreen"])
            frame_note = gr.Markdown(elem_id="frame-note", elem_classes="help")

        with gr.Row(visible=False):  # the /inpaint API endpoint's own inputs and outputs
            api_image, api_mask = gr.File(label="image"), gr.File(label="mask")
            api_model = gr.Textbox(label="model", value=first_model or "")
            api_composite = gr.Image(label="composite", format="png")
            api_reconstruction = gr.Image(label="reconstruction", format="png")
            api_metrics = gr.JSON(label="metrics")
            api_button = gr.Button()

        # The outputs: each handler's record, filled with the components that show its fields.
        shown = gr.State()  # the key and hole map of the results on screen (handlers.shown_value)
        results = Results(**tiles, slider=slider, metrics=metrics, comparison=compare_image, download=download,
                          shown=shown, mask=mask_download)
        probes = ProbeGuesses(encoder=encoder_label, pixels=pixels_label, note=probe_note)
        picked = PickedImage(image=image_state, caption=caption_state, size=size_state, painter=painter,
                             results=results, probes=probes)
        new_hole = NewHole(painter=painter, results=results)
        comparison = Comparison(slide=compare_image, download=download)
        frame = Frame(picture=frame_image, note=frame_note)
        frames = FramesPanel(epoch=epoch, frame=frame)
        inpainted = Inpainted(composite=api_composite, reconstruction=api_reconstruction, metrics=api_metrics)

        private = {"api_visibility": "private", **model_run}
        # A pick keeps the hole map the painter shows.
        upload.upload(on(handlers.on_upload), [upload, painter, model], flatten(picked), **private)
        gallery.select(on(handlers.on_gallery_select), [painter, model], flatten(picked), **private)
        # Browsing buttons: a click while the previous answer is pending runs after it, instead of being dropped.
        random_image.click(on(handlers.on_random_image), [painter, model], flatten(picked),
                           trigger_mode="always_last", **private)
        randomize.click(on(handlers.on_randomize), [image_state, caption_state, family, coverage, seed, model],
                        flatten(new_hole), trigger_mode="always_last", **private)
        clear.click(on(handlers.on_clear), [image_state, caption_state, model], flatten(new_hole), **private)
        mask_upload.upload(on(handlers.on_load_mask), [mask_upload, image_state, caption_state, size_state, model],
                           flatten(new_hole), **private)
        # painter.input: the end of a person's brush or eraser stroke (a handler's new value fires nothing)
        gr.on([demo.load, painter.input, model.change], on(handlers.on_run),
              [image_state, caption_state, painter, model, shown], flatten(results), trigger_mode="always_last",
              show_progress="minimal", **private)
        run.click(on(handlers.on_run), [image_state, caption_state, painter, model], flatten(results), **private)
        compare.click(on(handlers.on_compare), [image_state, painter], flatten(comparison), **private)
        gr.on([demo.load, model.change], on(handlers.on_probe), [image_state, model], flatten(probes),
              trigger_mode="always_last", show_progress="hidden", **private)
        # The other "What did it learn?" panels answer in events of their own, queued after the results: the
        # look-alikes once a new image or model is in place, the fill's class once new results are shown.
        gr.on([demo.load, model.change, image_state.change], on(handlers.on_lookalikes),
              [image_state, caption_state, model], flatten(lookalikes), trigger_mode="always_last",
              show_progress="hidden", **private)
        shown.change(on(handlers.on_fill_check), [image_state, shown, model], flatten(fill_check),
                     trigger_mode="always_last", show_progress="hidden", **private)
        gr.on([demo.load, model.change], on(handlers.on_label_curve), model, flatten(label_curve),
              show_progress="hidden", api_visibility="private")
        gr.on([demo.load, model.change], on(handlers.on_frames_model), model, flatten(frames),
              show_progress="hidden", api_visibility="private")
        epoch.change(on(handlers.on_epoch), [epoch, model], flatten(frame), trigger_mode="always_last",
                     show_progress="hidden", api_visibility="private")
        api_button.click(on(handlers.inpaint), [api_image, api_mask, api_model], flatten(inpainted),
                         api_name="inpaint", **model_run)
    demo.queue(max_size=queue_size, default_concurrency_limit=CONCURRENCY)
    return demo
