"""The page: its sections placed (sections.py builds each one) and their events wired to the handlers.

Every event's outputs are a record of sslmodel.app.records filled with components, the same record its handler
fills with values, so outputs and values meet by field name.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Callable

import gradio as gr

from ..preprocess import MODEL_SIZE
from . import handlers
from .presentation import PRESENT_CSS, page_switches
from .records import (Comparison, Frame, FramesPanel, InfluencePanel, Inpainted, NewHole, OpenedPage, PickedImage,
                      ProbeGuesses, Results, ResultsExplained, flatten)
from .sections import (ApiSection, ChooseSection, FillSection, LearnedSection, PaintSection, ResultsSection,
                       WatchSection, api_section, choose_section, fill_section, learned_section, paint_section,
                       results_section, watch_section)
from .state import AppState

QUEUE_SIZE = 32  # requests waiting beyond this are turned away ("queue full") instead of piling up
CONCURRENCY = 2  # model runs at once, over all the events that run one: one per vCPU of a free Space
MODEL_GROUP = "model"  # the concurrency group of every event that runs a model (the limit is per group)
LATER_GROUP = "later"  # the work that waits for a pause (it must not hold a model slot while it waits): one at a
                       # time, so that it never takes more than one vCPU from the next action's results
TORCH_THREADS = 1  # per request: with two requests at once, more threads only wait on each other (40x slower
                   # than one when the other vCPU is busy)
MAX_FILE_SIZE = "10mb"  # uploads above this are refused before they reach a handler
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
# After "Share this hole": the server's relative link made absolute, shown, and copied where the browser allows.
COPY_LINK = """(link) => {
  if (!link) return link;
  const url = new URL(link, window.location.href).href;
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(() => {});
  return url;
}"""
HEADER = """# Fill the hole
A small network trained **without labels** on 32×32 CIFAR-10 images fills in pixels it cannot see.
**1** pick or upload an image · **2** paint over part of it (magenta = missing) or draw a random mask ·
**3** the result appears as you go. *Hole PSNR* compares the filled pixels with the hidden original: higher is better.
"""


def bind(handler: Callable, state: AppState, can_wait: bool = False) -> Callable:
    """`handler(state, *inputs)` as `fn(*inputs)` returning its record's values in field order, keeping the
    parameters and type hints Gradio reads (their names become the API's, a `gr.SelectData` hint receives the event).
    A person waits for its answer, and `state.activity` counts it while it runs; or, when it `can_wait`, it first
    waits for a pause between those (activity.py)."""
    @functools.wraps(handler)
    def bound(*inputs):
        if can_wait:
            state.activity.wait_for_pause()
            values = flatten(handler(state, *inputs))
        else:
            with state.activity.waited_for():
                values = flatten(handler(state, *inputs))
        return values[0] if len(values) == 1 else values  # Gradio takes a lone output's value as it is
    signature = inspect.signature(handler)
    bound.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:],
                                            return_annotation=tuple)
    return bound


@dataclass
class Page:
    """Every section of the page, and the values it keeps per visitor (gr.State)."""
    image: gr.State  # uint8 (32, 32, 3) of the picked image
    caption: gr.State
    size: gr.State  # the picked file's size: a mask of that size loads too
    shown: gr.State  # the key and hole map of the results on screen (handlers.shown_value)
    link_notice: gr.Markdown
    choose: ChooseSection
    paint: PaintSection
    fill: FillSection
    results: ResultsSection
    learned: LearnedSection
    watch: WatchSection
    api: ApiSection


def place_sections(state: AppState) -> Page:
    """The page's components, top to bottom, inside the Blocks being built."""
    first_index = state.gallery_indices[0] if state.gallery_indices else None
    first_image = state.examples.load(first_index) if first_index is not None else None
    first_caption = f"{state.examples.labels[first_index]} (example)" if first_index is not None else ""
    states = gr.State(first_image), gr.State(first_caption), gr.State((MODEL_SIZE, MODEL_SIZE)), gr.State()
    page_switches()  # presentation mode and the dark theme
    gr.Markdown(HEADER, elem_id="header")
    if state.notice:
        gr.Markdown(state.notice, elem_classes="notice")
    link_notice = gr.Markdown(elem_id="link-notice", elem_classes="notice", visible=False)
    with gr.Row(equal_height=False, elem_id="steps"):
        with gr.Column(scale=4, min_width=320, elem_id="choose-column"):
            choose = choose_section(state)
        with gr.Column(scale=4, min_width=320, elem_id="paint-column"):
            paint = paint_section(first_image)
        with gr.Column(scale=4, min_width=320, elem_id="fill-column"):
            fill = fill_section(state)
    results = results_section()
    return Page(*states, link_notice, choose, paint, fill, results, learned_section(), watch_section(state),
                api_section(state))


@dataclass
class Outputs:
    """What each kind of event updates: the handlers' records, filled with the page's components."""
    results: Results
    probes: ProbeGuesses
    picked: PickedImage
    new_hole: NewHole
    comparison: Comparison
    frame: Frame
    frames: FramesPanel
    looked: InfluencePanel
    explained: ResultsExplained
    opened: OpenedPage
    inpainted: Inpainted


def outputs(page: Page) -> Outputs:
    fill, shown = page.fill, page.results
    results = Results(**shown.tiles, slider=fill.slider, metrics=fill.metrics, comparison=shown.comparison,
                      download=shown.download, shown=page.shown, mask=page.paint.mask_download)
    probes = ProbeGuesses(encoder=page.learned.encoder, pixels=page.learned.pixels, note=page.learned.probe_note)
    picked = PickedImage(image=page.image, caption=page.caption, size=page.size, painter=page.paint.painter,
                         results=results, probes=probes)
    frame = Frame(picture=page.watch.frame, note=page.watch.frame_note)
    looked = InfluencePanel(picture=shown.influence, note=shown.influence_note, pixel=shown.picker)
    api = page.api
    return Outputs(results, probes, picked, NewHole(painter=page.paint.painter, results=results),
                   Comparison(slide=shown.comparison, download=shown.download), frame,
                   FramesPanel(epoch=page.watch.epoch, frame=frame), looked,
                   ResultsExplained(looked=looked, fill_check=page.learned.fill_check),
                   OpenedPage(picked=picked, model=fill.model, pixel=shown.picker, notice=page.link_notice),
                   Inpainted(composite=api.composite, reconstruction=api.reconstruction, metrics=api.metrics))


def wire(demo: gr.Blocks, state: AppState, page: Page) -> None:
    """Every event of the page, in one place."""
    on, out = functools.partial(bind, state=state), outputs(page)
    image, caption, painter, model, picker = (page.image, page.caption, page.paint.painter, page.fill.model,
                                              page.results.picker)
    model_run = {"concurrency_id": MODEL_GROUP, "concurrency_limit": CONCURRENCY}  # events that run a model
    private = {"api_visibility": "private", **model_run}
    quiet = {"trigger_mode": "always_last", "show_progress": "hidden"}
    # The page opens on its first example, or on the state a shared link gives.
    demo.load(on(handlers.on_open), [image, caption, painter, model], flatten(out.opened), **private)
    # A pick keeps the hole map the painter shows. A browsing click while the previous answer is pending runs
    # after it, instead of being dropped.
    choose, paint = page.choose, page.paint
    choose.upload.upload(on(handlers.on_upload), [choose.upload, painter, model], flatten(out.picked), **private)
    choose.gallery.select(on(handlers.on_gallery_select), [painter, model], flatten(out.picked), **private)
    choose.random_image.click(on(handlers.on_random_image), [painter, model], flatten(out.picked),
                              trigger_mode="always_last", **private)
    paint.randomize.click(on(handlers.on_randomize), [image, caption, paint.family, paint.coverage, paint.seed,
                                                      model], flatten(out.new_hole), trigger_mode="always_last",
                          **private)
    paint.clear.click(on(handlers.on_clear), [image, caption, model], flatten(out.new_hole), **private)
    paint.mask_upload.upload(on(handlers.on_load_mask), [paint.mask_upload, image, caption, page.size, model],
                             flatten(out.new_hole), **private)
    # painter.input: the end of a person's brush or eraser stroke (a handler's new value fires nothing)
    gr.on([painter.input, model.change], on(handlers.on_run), [image, caption, painter, model, page.shown],
          flatten(out.results), trigger_mode="always_last", show_progress="minimal", **private)
    page.fill.run.click(on(handlers.on_run), [image, caption, painter, model], flatten(out.results), **private)
    page.fill.share.click(on(handlers.on_share), [image, caption, painter, model, picker], page.fill.share_link,
                          api_visibility="private").then(None, page.fill.share_link, page.fill.share_link,
                                                         js=COPY_LINK)
    page.results.compare.click(on(handlers.on_compare), [image, painter, picker], flatten(out.comparison),
                               **private)
    model.change(on(handlers.on_probe), [image, model], flatten(out.probes), **quiet, **private)
    # Once new results are on screen, one event after them works out where the model looked (at the chosen pixel
    # while it is still missing, else the whole hole) and whether the fill brings the class back: one request,
    # not two, and only in a pause, so that a quick next action never shares the CPU with it. A click on a pixel
    # redraws the map at once.
    page.shown.change(on(handlers.on_shown, can_wait=True), [image, page.shown, model, picker],
                      flatten(out.explained), **quiet, api_visibility="private", concurrency_id=LATER_GROUP,
                      concurrency_limit=1)
    picker.input(on(handlers.on_influence), [image, page.shown, model, picker], flatten(out.looked), **quiet,
                 **private)
    # The look-alikes answer in an event of their own, queued after the results, once a new image or model is in
    # place.
    learned = page.learned
    gr.on([demo.load, model.change, image.change], on(handlers.on_lookalikes), [image, caption, model],
          flatten(learned.lookalikes), **quiet, **private)
    gr.on([demo.load, model.change], on(handlers.on_label_curve), model, flatten(learned.label_curve),
          show_progress="hidden", api_visibility="private")
    gr.on([demo.load, model.change], on(handlers.on_frames_model), model, flatten(out.frames),
          show_progress="hidden", api_visibility="private")
    page.watch.epoch.change(on(handlers.on_epoch), [page.watch.epoch, model], flatten(out.frame), **quiet,
                            api_visibility="private")
    api = page.api
    api.button.click(on(handlers.inpaint), [api.image, api.mask, api.model], flatten(out.inpainted),
                     api_name="inpaint", **model_run)


def build_demo(state: AppState, queue_size: int = QUEUE_SIZE) -> gr.Blocks:
    """The whole page for this state; launch it with `demo.launch(**LAUNCH_OPTIONS)` (app.py: `sessions.serve`)."""
    with gr.Blocks(title="Fill the hole: self-supervised inpainting", delete_cache=(3600, 3600)) as demo:
        wire(demo, state, place_sections(state))
    demo.queue(max_size=queue_size, default_concurrency_limit=CONCURRENCY)
    return demo
