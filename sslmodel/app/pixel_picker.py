"""The pixel picker: a click on the Composite or Reconstruction tile chooses one CIFAR pixel (for "Where did it look?").

Gradio's own `select` index is wrong for a 32x32 picture enlarged by CSS (its display scale is capped at 1), so the
browser computes the pixel itself: from the click's position in the picture as drawn (`object-fit: contain`) and
its natural size. The component's value is {"row": r, "col": c}; a click fires `input`.
"""

from __future__ import annotations

import gradio as gr

from ..preprocess import MODEL_SIZE

TILE_IDS = ("composite", "reconstruction")  # the result tiles whose pictures are clicked

TEMPLATE = """<div class="picker-help">${help}</div>"""
CSS = """.picker-help { font-size: 0.9rem; opacity: 0.8; }"""
SCRIPT = """
const SIZE = %(size)d, TILES = %(tiles)s;
document.addEventListener('click', (event) => {
  const picture = event.target instanceof HTMLImageElement ? event.target : null;
  if (!picture || !picture.naturalWidth || !TILES.some((id) => picture.closest('#' + id))) return;
  const box = picture.getBoundingClientRect();
  const scale = Math.min(box.width / picture.naturalWidth, box.height / picture.naturalHeight);  // contain
  const left = box.left + (box.width - picture.naturalWidth * scale) / 2;
  const top = box.top + (box.height - picture.naturalHeight * scale) / 2;
  const col = Math.floor((event.clientX - left) / (picture.naturalWidth * scale) * SIZE);
  const row = Math.floor((event.clientY - top) / (picture.naturalHeight * scale) * SIZE);
  if (row < 0 || col < 0 || row >= SIZE || col >= SIZE) return;
  props.value = {row, col};
  trigger('input');
});
"""
HELP = ("Click a missing pixel on the *Composite* or *Reconstruction* tile to see where its prediction looked; "
        "until then the map is for the whole hole.")


def pixel_picker(elem_id: str = "influence-pixel") -> gr.HTML:
    """The picker (its help line is all it shows); `input` fires with the clicked pixel as its value."""
    tiles = "[" + ", ".join(f"'{tile}'" for tile in TILE_IDS) + "]"
    return gr.HTML(None, html_template=TEMPLATE, css_template=CSS, apply_default_css=False, elem_id=elem_id,
                   js_on_load=SCRIPT % {"size": MODEL_SIZE, "tiles": tiles}, help=HELP)
