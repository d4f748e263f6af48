"""The components of the "What did it learn?" panels beyond the probe's guesses: look-alikes, the maps, what a few
labels buy, and whether the fill brings the class back. Components only; `layout.build_demo` places and wires them.
"""

from __future__ import annotations

import gradio as gr

from .records import FillCheck, LabelCurve, LookalikesPanel

GALLERY_HEIGHT = 300  # px: two rows of four look-alikes
MAP_HEIGHT = 420  # px: the maps' picture (charts.draw_maps) at about its own size
CURVE_HEIGHT = 360  # px: the curve's picture (charts.draw_curve)
LOOKALIKES_HELP = ("**Look-alikes**: the 8 images of a labelled reference set (1,000 validation images, 100 per "
                   "class, never trained on) nearest to this one, by the model's features (left) and by raw pixels "
                   "(right), cosine similarity. Pixels find the same colours; features should find the same things.")
MAPS_HELP = ("**A map of the reference set** (t-SNE, each dot an image in its class's colour, the ring this image): "
             "images the model finds alike lie close together, so where it learnt what things are, classes gather.")
CURVE_HELP = "**What a few labels buy**: a classifier on the model's features against one on a random network's "\
             "and one on raw pixels, as the labelled images per class grow."


def neighbours_column(elem_id: str, label: str) -> tuple[gr.Markdown, gr.Gallery]:
    """A "k of 8 share its class" line above a gallery of 8 captioned thumbnails, in one container."""
    with gr.Column(elem_id=elem_id, min_width=280):
        line = gr.Markdown()
        gallery = gr.Gallery(label=label, columns=4, height=GALLERY_HEIGHT, allow_preview=False, format="png",
                             object_fit="contain", buttons=[], interactive=False, elem_classes="pixelated")
    return line, gallery


def learned_panels() -> tuple[LookalikesPanel, LabelCurve, FillCheck]:
    """The panels' components, created where this is called, as the records their handlers fill."""
    fill = FillCheck(line=gr.Markdown(elem_id="fill-restores"))
    gr.Markdown(LOOKALIKES_HELP, elem_classes="help")
    with gr.Row():
        features_line, features = neighbours_column("neighbours-features", "Nearest by the model's features")
        pixels_line, pixels = neighbours_column("neighbours-pixels", "Nearest by raw pixels")
    gr.Markdown(MAPS_HELP, elem_classes="help")
    maps = gr.Image(format="png", show_label=False, elem_id="feature-map", interactive=False, height=MAP_HEIGHT,
                    buttons=["download", "fullscreen"])  # an image without a height collapses to none
    with gr.Column(elem_id="label-curve"):
        gr.Markdown(CURVE_HELP, elem_classes="help")
        picture = gr.Image(format="png", show_label=False, interactive=False, buttons=["download", "fullscreen"],
                           height=CURVE_HEIGHT, elem_id="label-curve-picture")
        note = gr.Markdown(elem_classes="help")
    return (LookalikesPanel(features_line=features_line, features=features, pixels_line=pixels_line, pixels=pixels,
                            maps=maps),
            LabelCurve(picture=picture, note=note), fill)
