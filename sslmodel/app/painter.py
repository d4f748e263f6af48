"""The hole painter: a small gr.HTML component that paints and erases whole CIFAR pixels, and its value.

The painter shows the 32x32 image enlarged and paints or erases whole CIFAR pixels, so what it shows is exactly
the hole map the model gets. Its value is plain JSON: the image as base64 RGB bytes and the hole map as 1,024
characters, "1" = missing, row by row. A handler that changes the image or the hole returns a new value, which
the browser draws synchronously: no picture is loaded, so an update can never land after a later one (Gradio's
ImageEditor, the first painter, loaded its pictures asynchronously and sometimes brought an older hole map back).

A stroke is drawn locally as the pointer moves; when it ends, the new hole map becomes the value and the
component fires `input` (one request, about 5 KB). Brush or eraser and the brush size are local too.
"""

from __future__ import annotations

import base64

import gradio as gr
import numpy as np

from ..preprocess import MODEL_SIZE
from .hole_maps import HOLE_COLOR

BRUSH_SIZES = (1, 2, 3, 4)  # brush diameters in CIFAR pixels
DEFAULT_BRUSH = 2

TEMPLATE = """
<div class="painter">
  <canvas width="32" height="32" role="img" aria-label="The image; magenta pixels are hidden from the model.
Paint or erase with the pointer."></canvas>
  <div class="tools" role="toolbar" aria-label="Painting tools">
    <button type="button" class="tool" data-tool="paint" aria-pressed="true">Brush</button>
    <button type="button" class="tool" data-tool="erase" aria-pressed="false">Eraser</button>
    <span class="size-label">Size</span>
    ${sizes.map(size => `<button type="button" class="size" data-size="${size}"
      aria-label="${size} CIFAR pixel${size > 1 ? 's' : ''}"
      aria-pressed="${size === brush ? 'true' : 'false'}">${size}</button>`).join('')}
  </div>
</div>
"""

CSS = """
.painter { display: flex; flex-direction: column; gap: 0.5rem; align-items: center; }
canvas { width: min(100%, 384px); aspect-ratio: 1; image-rendering: pixelated; touch-action: none;
         cursor: crosshair; border: 1px solid var(--border-color-primary); border-radius: var(--radius-md); }
.tools { display: flex; gap: 0.35rem; align-items: center; flex-wrap: wrap; justify-content: center; }
button { padding: 0.25rem 0.7rem; border: 1px solid var(--border-color-primary); border-radius: var(--radius-md);
         background: var(--background-fill-primary); color: var(--body-text-color); cursor: pointer; }
button[aria-pressed="true"] { background: var(--color-accent); color: white; border-color: var(--color-accent); }
.size-label { margin-left: 0.75rem; opacity: 0.8; }
"""

# The browser side. `props.value` is {image: base64 RGB bytes, holes: "0101..."}; it is redrawn whenever it
# changes, from the server (watch) or from a stroke. A brush of size d covers the d x d CIFAR pixels nearest
# the pointer; moves are interpolated, so a fast stroke leaves no gaps.
SCRIPT = """
const N = 32, HOLE = [%(hole)s];
const canvas = element.querySelector('canvas');
const context = canvas.getContext('2d');
let holes = new Uint8Array(N * N), image = null, shownImage = null, tool = 'paint', brush = %(brush)d;
let last = null, painting = false;

function decode(value) {
  holes = new Uint8Array(N * N);
  const text = (value && value.holes) || '';
  for (let i = 0; i < N * N; i++) holes[i] = text.charCodeAt(i) === 49 ? 1 : 0;
  const pixels = (value && value.image) || '';
  if (pixels !== shownImage) {
    shownImage = pixels;
    image = pixels ? Uint8Array.from(atob(pixels), c => c.charCodeAt(0)) : null;
  }
}

function draw() {
  const frame = context.createImageData(N, N);
  for (let i = 0; i < N * N; i++) {
    const rgb = holes[i] ? HOLE : image ? [image[3 * i], image[3 * i + 1], image[3 * i + 2]] : [255, 255, 255];
    frame.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  context.putImageData(frame, 0, 0);
}

function cell(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) / box.width * N, (event.clientY - box.top) / box.height * N];
}

function stamp(x, y) {
  const left = Math.floor(x - brush / 2 + 0.5), top = Math.floor(y - brush / 2 + 0.5);
  for (let row = Math.max(top, 0); row < Math.min(top + brush, N); row++)
    for (let col = Math.max(left, 0); col < Math.min(left + brush, N); col++)
      holes[row * N + col] = tool === 'paint' ? 1 : 0;
}

function strokeTo(point) {
  const [x, y] = point, [x0, y0] = last || point;
  const steps = Math.max(1, Math.ceil(Math.hypot(x - x0, y - y0) * 4));
  for (let i = 1; i <= steps; i++) stamp(x0 + (x - x0) * i / steps, y0 + (y - y0) * i / steps);
  last = point;
  draw();
}

canvas.addEventListener('pointerdown', event => {
  if (event.button !== 0) return;
  canvas.setPointerCapture(event.pointerId);
  painting = true;
  last = null;
  strokeTo(cell(event));
  event.preventDefault();
});
canvas.addEventListener('pointermove', event => { if (painting) strokeTo(cell(event)); });
function finish() {
  if (!painting) return;
  painting = false;
  last = null;
  const text = Array.from(holes, hole => hole ? '1' : '0').join('');
  if (props.value && text === props.value.holes) return;  // nothing changed: no request
  props.value = {image: shownImage || '', holes: text};
  trigger('input');
}
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);
canvas.addEventListener('lostpointercapture', finish);

function press(selector, attribute, chosen) {
  element.querySelectorAll(selector).forEach(button =>
    button.setAttribute('aria-pressed', String(button.getAttribute(attribute) === chosen)));
}
element.querySelectorAll('.tool').forEach(button => button.addEventListener('click', () => {
  tool = button.dataset.tool;
  press('.tool', 'data-tool', tool);
}));
element.querySelectorAll('.size').forEach(button => button.addEventListener('click', () => {
  brush = Number(button.dataset.size);
  press('.size', 'data-size', button.dataset.size);
}));

watch('value', () => { decode(props.value); draw(); });  // the server's value wins, even mid-stroke
decode(props.value);
draw();
"""


class PainterError(ValueError):
    """A painter value that the page's painter cannot have sent (a hand-made request)."""


def painter_value(image: np.ndarray | None, holes: np.ndarray) -> dict:
    """What the painter shows: a uint8 (32, 32, 3) image (None: nothing picked yet) and a bool (32, 32) hole map."""
    pixels = "" if image is None else base64.b64encode(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).decode()
    return {"image": pixels, "holes": "".join(np.where(np.asarray(holes, dtype=bool).ravel(), "1", "0"))}


def holes_from_painter(value: dict | None, size: int = MODEL_SIZE) -> np.ndarray:
    """A painter value -> bool (size, size); no value means no hole."""
    if not value:
        return np.zeros((size, size), dtype=bool)
    holes = value.get("holes") if isinstance(value, dict) else None
    if not isinstance(holes, str) or len(holes) != size * size or holes.strip("01"):
        raise PainterError(f"the hole map must be {size * size} characters, each 0 or 1")
    return (np.frombuffer(holes.encode("ascii"), dtype=np.uint8) == ord("1")).reshape(size, size)


def hole_painter(value: dict, elem_id: str = "painter") -> gr.HTML:
    """The painter component, showing `value` (a `painter_value`); its `input` event fires after a stroke."""
    return gr.HTML(value, html_template=TEMPLATE, css_template=CSS,
                   js_on_load=SCRIPT % {"hole": ", ".join(map(str, HOLE_COLOR)), "brush": DEFAULT_BRUSH},
                   apply_default_css=False, elem_id=elem_id, sizes=list(BRUSH_SIZES), brush=DEFAULT_BRUSH)
