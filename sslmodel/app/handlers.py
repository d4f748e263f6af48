"""The page's event handlers: plain functions of the loaded state and the inputs, called directly by unit tests.

No Gradio objects inside except `gr.Error` (a message for the person), `gr.update`, `gr.skip` and the event data.
Each returns a record of sslmodel.app.records, whose fields the layout maps to its components by name.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from ..influence import influence
from ..preprocess import MODEL_SIZE, ImageError, prepare_holes, prepare_image
from .compare import Result, classical_result, compare_all, comparison_slide, error_heatmap, format_db, model_result
from .hole_maps import mask_picture, masked_view, random_holes
from .influence_view import influence_caption, influence_picture, reach
from .learned import caption_label, fill_line, find_lookalikes
from .painter import PainterError, holes_from_painter, painter_value
from .records import (Comparison, Frame, FramesPanel, InfluencePanel, Inpainted, NewHole, OpenedPage, PickedImage,
                      ProbeGuesses, Results, ShareLink, skipped)
from .share import PARAMETER, LinkError, SharedView, decode, encode
from .records import FillCheck, LabelCurve, LookalikesPanel, ResultsExplained  # the panels after the results
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


def painted_holes(value: dict | None) -> np.ndarray:
    """The painter's value -> bool (32, 32), or a gr.Error for a value the page cannot have sent."""
    try:
        return holes_from_painter(value)
    except PainterError as error:
        raise gr.Error(f"Mask: {error}.") from None


def pick_model(models: dict, name: str | None) -> tuple[str, object]:
    """(name, entry) of the chosen model in `models`, the first one when no name is given, or a gr.Error."""
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


# ---------------------------------------------------------------------------------------------- results
# Every action answers in one round trip: the handler that changes the image or the hole also returns the
# results it causes. Pictures go out at 32x32 (the page enlarges them with CSS); "compare all" runs only on request.

def shown_value(image: np.ndarray | None, holes: np.ndarray, model_name: str | None,
                composite: np.ndarray | None = None) -> dict:
    """The page's record of the results on screen: their key, a digest of what they depend on (equal keys,
    equal results), their hole map and the model's composite. The events after the results read the hole map and
    the composite there: an event that took the painter as an input could see a stroke being painted meanwhile,
    and the fill check judges the very pixels on screen without filling the hole again."""
    parts = (b"" if image is None else image.tobytes(), holes.tobytes(), str(model_name).encode())
    return {"key": hashlib.sha1(b"|".join(parts)).hexdigest(), "holes": holes.tobytes(),  # bytes: comparable
            "composite": None if composite is None else np.ascontiguousarray(composite, dtype=np.uint8).tobytes()}


def shown_holes(shown: dict) -> np.ndarray:
    """The hole map of the results a `shown_value` describes: bool (32, 32)."""
    return np.frombuffer(shown["holes"], dtype=bool).reshape(MODEL_SIZE, MODEL_SIZE)


def shown_composite(shown: dict) -> np.ndarray | None:
    """The model's composite of the results a `shown_value` describes: uint8 (32, 32, 3); None without a model."""
    found = shown.get("composite")
    return None if found is None else np.frombuffer(found, dtype=np.uint8).reshape(MODEL_SIZE, MODEL_SIZE, 3)


def results(state: AppState, image: np.ndarray | None, caption: str, holes: np.ndarray,
            model_name: str | None) -> Results:
    """The chosen model's results, with the comparison emptied and its download hidden (they belonged to the
    previous hole)."""
    hidden = gr.update(value=None, visible=False)
    if image is None:
        return Results(original=None, masked=None, reconstruction=None, composite=None, heatmap=None, slider=None,
                       metrics="Pick an example or upload an image to start.", comparison=None, download=hidden,
                       shown=shown_value(image, holes, model_name), mask=None)
    files = state.files
    if state.models:
        name, model = pick_model(state.models, model_name)
        result = model_result(model.inpainter, name, image, holes)
    else:  # without a model, the tiles show OpenCV
        result = classical_result("OpenCV Telea", image, holes)
    masked, composite = files.png(masked_view(image, holes), "masked"), files.png(result.composite, "composite")
    return Results(original=files.png(image, "original"), masked=masked,
                   reconstruction=files.png(result.reconstruction, "reconstruction"), composite=composite,
                   heatmap=files.png(error_heatmap(image, result.composite), "error"), slider=(masked, composite),
                   metrics=metrics_markdown(result if state.models else None, caption), comparison=None,
                   download=hidden, mask=files.png(mask_picture(holes), "mask"),
                   shown=shown_value(image, holes, model_name, result.composite if state.models else None))


def on_run(state: AppState, image: np.ndarray | None, caption: str, painter: dict | None, model_name: str | None,
           shown: dict | None = None) -> Results:
    """After a brush stroke, a model change or "Inpaint": the results for the hole in the painter.
    Nothing is recomputed or resent when they are the results already `shown`."""
    holes = painted_holes(painter)
    if shown is not None and shown["key"] == shown_value(image, holes, model_name)["key"]:
        return skipped(Results)
    return results(state, image, caption, holes, model_name)


def on_compare(state: AppState, image: np.ndarray | None, painter: dict | None, pixel: dict | None = None
               ) -> Comparison:
    """The same hole filled by every model and OpenCV's two methods, with each model's influence map for the
    chosen pixel (or the whole hole), as a slide (shown, and to download)."""
    if image is None:
        raise gr.Error("Pick an example or upload an image first.")
    holes, target = painted_holes(painter), chosen_pixel(pixel)
    maps = {name: influence(inpainter.model, image, holes, target) for name, inpainter in state.inpainters.items()}
    looked = {name: (influence_picture(found, holes), reach(found)) for name, found in maps.items()}
    slide = state.files.png(comparison_slide(image, holes, compare_all(image, holes, state.inpainters), looked),
                            "inpainting-comparison")
    return Comparison(slide, gr.update(value=slide, visible=True))


# ---------------------------------------------------------------------------------------------- where it looked

def chosen_pixel(value: dict | None) -> tuple[int, int] | None:
    """The pixel picker's value {"row", "col"} -> (row, column) inside the image, else None (the whole hole)."""
    try:
        row, col = int(value["row"]), int(value["col"])
    except (KeyError, TypeError, ValueError):
        return None
    return (row, col) if 0 <= row < MODEL_SIZE and 0 <= col < MODEL_SIZE else None


def on_influence(state: AppState, image: np.ndarray | None, shown: dict | None, model_name: str | None,
                 pixel: dict | None = None) -> InfluencePanel:
    """Where the model looked to predict the chosen missing pixel (or the whole hole) of the results `shown`:
    its influence map."""
    if image is None or not shown or not state.models:
        return InfluencePanel(None, "Pick an image and paint a hole." if state.models else "No model is loaded.",
                              None)
    holes = shown_holes(shown)
    name, model = pick_model(state.models, model_name)
    found = influence(model.inpainter.model, image, holes, chosen_pixel(pixel))
    kept = None if found.pixel is None else {"row": found.pixel[0], "col": found.pixel[1]}
    return InfluencePanel(state.files.png(influence_picture(found, holes), "influence"),
                          f"{influence_caption(found)} ({name}).", kept)


def on_shown(state: AppState, image: np.ndarray | None, shown: dict | None, model_name: str | None,
             pixel: dict | None = None) -> ResultsExplained:
    """Once new results are on screen: where the model looked, and whether the fill brings the class back."""
    return ResultsExplained(on_influence(state, image, shown, model_name, pixel),
                            on_fill_check(state, image, shown, model_name))


# ---------------------------------------------------------------------------------------------- the hole

def on_randomize(state: AppState, image: np.ndarray | None, caption: str, family: str, coverage: float,
                 seed: float, model_name: str | None) -> NewHole:
    """A random hole map of the family, drawn into the painter, and its results."""
    holes = random_holes(family, coverage / 100, int(seed))
    return NewHole(painter_value(image, holes), results(state, image, caption, holes, model_name))


def on_clear(state: AppState, image: np.ndarray | None, caption: str, model_name: str | None) -> NewHole:
    holes = np.zeros((32, 32), dtype=bool)
    return NewHole(painter_value(image, holes), results(state, image, caption, holes, model_name))


def on_load_mask(state: AppState, path: str | None, image: np.ndarray | None, caption: str, size: tuple[int, int],
                 model_name: str | None) -> NewHole:
    """A mask file loaded on the page, by the /inpaint API's rules (the picked file's size or 32x32; alpha, or
    brightness without it), drawn into the painter (which records it: an undo takes it back), and its results."""
    if not path:
        return skipped(NewHole)
    holes = read_mask(path, tuple(size))
    return NewHole(painter_value(image, holes), results(state, image, caption, holes, model_name))


# ---------------------------------------------------------------------------------------------- picking an image
# A refused upload raises before anything is returned, so the painter and the results stay as they were.

def show_image(state: AppState, image: np.ndarray, caption: str, painter: dict | None,
               model_name: str | None, size: tuple[int, int] = (MODEL_SIZE, MODEL_SIZE)) -> PickedImage:
    """A newly picked image (from a file of `size`), in the painter keeping the hole map it shows, with its
    results and probe guesses."""
    holes = painted_holes(painter)
    return PickedImage(image, caption, size, painter_value(image, holes),
                       results(state, image, caption, holes, model_name), on_probe(state, image, model_name))


def on_upload(state: AppState, path: str | None, painter: dict | None, model_name: str | None) -> PickedImage:
    if not path:
        return skipped(PickedImage)
    return show_image(state, read_image(path), f"your upload ({Path(path).name})", painter, model_name,
                      upright_size(path))


def load_example(state: AppState, index: int) -> tuple[np.ndarray, str]:
    try:
        return state.examples.load(index), f"{state.examples.labels[index]} (example #{index})"
    except ImageError as error:
        raise gr.Error(f"Example: {error}") from None


def on_gallery_select(state: AppState, painter: dict | None, model_name: str | None,
                      event: gr.SelectData) -> PickedImage:
    return show_image(state, *load_example(state, state.gallery_indices[event.index]), painter, model_name)


def on_random_image(state: AppState, painter: dict | None, model_name: str | None) -> PickedImage:
    if not state.examples:
        raise gr.Error("No example images on this server; upload an image instead.")
    index = int(np.random.default_rng().integers(len(state.examples)))
    return show_image(state, *load_example(state, index), painter, model_name)


# ---------------------------------------------------------------------------------------------- showcase

def on_probe(state: AppState, image: np.ndarray | None, model_name: str | None) -> ProbeGuesses:
    """The encoder probe's and the pixel probe's top 3 classes for the image, and the caption."""
    model = state.models.get(model_name) if model_name else None
    pair = model.probes if model else None
    if pair is None:
        return ProbeGuesses(gr.update(value=None, visible=False), gr.update(value=None, visible=False),
                            NO_PROBE if state.models else "No model is loaded.")
    if image is None:
        return ProbeGuesses(None, None, probe_caption(pair))
    pixels = top_classes(pair.pixels, image) if pair.pixels is not None else None
    return ProbeGuesses(gr.update(value=top_classes(pair.encoder, image, model.inpainter.model), visible=True),
                        gr.update(value=pixels, visible=pair.pixels is not None), probe_caption(pair))


def on_lookalikes(state: AppState, image: np.ndarray | None, caption: str, model_name: str | None
                  ) -> LookalikesPanel:
    """The image's look-alikes in the reference set by the model's features and by raw pixels, and the maps."""
    reference = state.reference
    if reference is None or image is None:
        note = "Pick an image to see its look-alikes." if reference else "This server has no reference set."
        return LookalikesPanel(note, None, note, None, None)
    model = state.models.get(model_name or "")
    found = find_lookalikes(reference, model.panels if model else None, model.inpainter.model if model else None,
                            image, caption_label(caption, reference.classes))

    def thumbnails(indices: list[int]) -> list[tuple[str, str]]:
        return [(state.files.png(reference.images[i], f"reference-{i}"), reference.labels[i]) for i in indices]
    maps = None if found.maps is None else state.files.png(found.maps, "maps")
    return LookalikesPanel(found.features_line, thumbnails(found.features), found.pixels_line,
                           thumbnails(found.pixels), maps)


def on_label_curve(state: AppState, model_name: str | None) -> LabelCurve:
    """What a few labels buy with the model's features, against a random network and raw pixels."""
    model = state.models.get(model_name or "")
    if model is None:
        return LabelCurve(gr.update(value=None, visible=False), "No model is loaded.")
    panels = model.panels
    picture = state.files.png(panels.curve, "label-curve") if panels.curve is not None else None
    return LabelCurve(gr.update(value=picture, visible=picture is not None), panels.curve_note)


def on_fill_check(state: AppState, image: np.ndarray | None, shown: dict | None, model_name: str | None
                  ) -> FillCheck:
    """Whether the model's fill of the hole of the results `shown` brings back the class its probe sees in the
    original."""
    model = state.models.get(model_name or "")
    if image is None or not shown:
        return FillCheck("")
    if model is None or model.probes is None:
        return FillCheck("**Does the fill bring the class back?** " + (NO_PROBE if model else "No model is loaded."))
    composite = shown_composite(shown)
    if composite is None:  # results that no model filled
        return FillCheck("")
    return FillCheck(fill_line(model.probes.encoder, model.inpainter.model, image, composite, shown_holes(shown)))


def on_epoch(state: AppState, epoch: float, model_name: str | None) -> Frame:
    found = state.frames(model_name)
    if not found:
        return Frame(None, "This model's bundle has no training frames.")
    shown, picture = load_frame(found, int(epoch), FRAME_SCALE)
    return Frame(state.files.png(picture, f"epoch-{shown:03d}"), f"Epoch {shown} of {max(found)}. {FRAMES_HELP}")


def on_frames_model(state: AppState, model_name: str | None) -> FramesPanel:
    found = state.frames(model_name)
    last = max(found) if found else 1
    return FramesPanel(gr.update(minimum=1, maximum=max(last, 2), value=last, interactive=bool(found)),
                       on_epoch(state, last, model_name))


# ---------------------------------------------------------------------------------------------- the API

def inpaint(state: AppState, image: str, mask: str, model: str | None = None) -> Inpainted:
    """Fill the hole of `image` marked by `mask` (alpha > 0, or brightness > 127 without alpha, is missing)."""
    picture = read_image(image)
    holes = read_mask(mask, upright_size(image))
    name, chosen = pick_model(state.models, model)
    result = model_result(chosen.inpainter, name, picture, holes)
    return Inpainted(state.files.png(result.composite, "composite"),
                     state.files.png(result.reconstruction, "reconstruction"), {"model": name, **result.metrics})


# ---------------------------------------------------------------------------------------------- links

def example_index(state: AppState, image: np.ndarray | None, caption: str) -> int | None:
    """The index in the server's examples of the image on screen, when it is one of them (checked pixel for
    pixel: an upload may carry an example's caption by chance)."""
    if state.examples is None or image is None:
        return None
    found = re.search(r"\(example #(\d+)\)$", caption or "")
    index = int(found.group(1)) if found else (
        state.gallery_indices[0] if (caption or "").endswith("(example)") and state.gallery_indices else None)
    if index is None or index >= len(state.examples):
        return None
    try:
        return index if np.array_equal(state.examples.load(index), image) else None
    except ImageError:
        return None


def on_share(state: AppState, image: np.ndarray | None, caption: str, painter: dict | None,
             model_name: str | None, pixel: dict | None = None) -> ShareLink:
    """A link that opens the page exactly as it is: image, hole, model and chosen pixel."""
    if image is None:
        raise gr.Error("Pick an example or upload an image first.")
    index = example_index(state, image, caption)
    view = SharedView(painted_holes(painter), model_name or state.first_model or "", index,
                      None if index is not None else image, chosen_pixel(pixel))
    return ShareLink(f"?{PARAMETER}={encode(view)}")


def shared_page(state: AppState, view: SharedView) -> OpenedPage:
    """The page as a link describes it; LinkError when its example is not on this server."""
    if view.example is not None:
        if state.examples is None or view.example >= len(state.examples):
            raise LinkError("its example is not on this server")
        image, caption = load_example(state, view.example)
    else:
        image, caption = view.image, "a shared image"
    model, notice = view.model, ""
    if state.models and model not in state.models:
        model, notice = state.first_model, f"The link's model is not on this server, so {state.first_model} fills it."
    picked = PickedImage(image, caption, (MODEL_SIZE, MODEL_SIZE), painter_value(image, view.holes),
                         results(state, image, caption, view.holes, model), on_probe(state, image, model))
    pixel = None if view.pixel is None else {"row": view.pixel[0], "col": view.pixel[1]}
    return OpenedPage(picked, gr.update(value=model) if state.models else gr.skip(), pixel,
                      gr.update(value=notice, visible=bool(notice)))


def on_open(state: AppState, image: np.ndarray | None, caption: str, painter: dict | None,
            model_name: str | None, request: gr.Request) -> OpenedPage:
    """The page's first results: a shared link's state when the address has one, else the usual first example.
    A link that cannot be opened gives the usual page and a one-line notice, never an error."""
    link = request.query_params.get(PARAMETER) if request is not None else None
    notice = ""
    if link:
        try:
            return shared_page(state, decode(link))
        except LinkError as error:
            notice = f"This link could not be opened ({error}), so the page shows its usual start."
    return OpenedPage(show_image(state, image, caption, painter, model_name), gr.skip(), None,
                      gr.update(value=notice, visible=bool(notice)))
