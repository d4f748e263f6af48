"""The hole painter: a small gr.HTML component that paints and erases whole CIFAR pixels, and its value.

The painter shows the 32x32 image enlarged and paints or erases whole CIFAR pixels, so what it shows is exactly
the hole map the model gets. Its value is plain JSON: the image as base64 RGB bytes and the hole map as 1,024
characters, "1" = missing, row by row. A handler that changes the image or the hole returns a new value, which
the browser draws synchronously: no picture is loaded, so an update can never land after a later one (Gradio's
ImageEditor, the first painter, loaded its pictures asynchronously and sometimes brought an older hole map back).

A stroke is drawn locally as the pointer (mouse, finger or pen) moves; when it ends, the new hole map becomes the
value and the component fires `input` (one request, about 5 KB). Brush or eraser and the brush size are local too.

Undo and redo live here, in the browser, as a history of hole maps per image (keyed by the image's bytes, so a
model switch keeps it and a picked image gets its own). Every hole map the painter shows is recorded: a stroke's,
and each one a handler sends (a random mask, a clear, a loaded mask). An undo or a redo then does exactly what a
stroke does: it draws the older map at once, makes it the value and fires `input`, so the server answers it as
a stroke, in one round trip, by the handler strokes already use. A history on the server would need a second
input and output on every event that changes the hole, state kept per session, and a request before the canvas
could even change; it would buy nothing the page needs (a reload starts afresh either way).

Keys (whenever focus is not in a text field) are wired by the same script on the document: see KEYS.
"""

from __future__ import annotations

import base64
import json

import gradio as gr
import numpy as np

from ..preprocess import MODEL_SIZE
from .hole_maps import HOLE_COLOR

BRUSH_SIZES = (1, 2, 3, 4)  # brush diameters in CIFAR pixels
DEFAULT_BRUSH = 2
HISTORY_STEPS = 100  # undo steps kept per image
HISTORY_IMAGES = 20  # images whose history is kept (the least recently shown is forgotten)
UNDO_ID, REDO_ID, KEYS_ID = "undo", "redo", "keys-help"  # element ids inside the painter
KEYS = (("B", "brush"), ("E", "eraser"), ("[ and ]", "smaller and larger brush"),
        ("hold O", "the original, without the holes"), ("Ctrl+Z", "undo"),
        ("Ctrl+Shift+Z or Ctrl+Y", "redo"))  # the painter's own keys, as the "Keys" help lists them

TEMPLATE = """
<div class="painter">
  <canvas width="32" height="32" role="img" aria-label="The image; magenta pixels are hidden from the model.
Paint or erase with the pointer, a finger or a pen."></canvas>
  <div class="tools" role="toolbar" aria-label="Painting tools">
    <button type="button" class="tool" data-tool="paint" aria-pressed="true" title="Brush (B)">Brush</button>
    <button type="button" class="tool" data-tool="erase" aria-pressed="false" title="Eraser (E)">Eraser</button>
    <span class="size-label" title="Brush size ([ and ])">Size</span>
    ${sizes.map(size => `<button type="button" class="size" data-size="${size}"
      aria-label="${size} CIFAR pixel${size > 1 ? 's' : ''}"
      aria-pressed="${size === brush ? 'true' : 'false'}">${size}</button>`).join('')}
    <span class="break"></span>
    <button type="button" id="${undo_id}" class="history" data-step="undo" aria-label="Undo" title="Undo (Ctrl+Z)"
      disabled>↶</button>
    <button type="button" id="${redo_id}" class="history" data-step="redo" aria-label="Redo"
      title="Redo (Ctrl+Shift+Z or Ctrl+Y)" disabled>↷</button>
    <details id="${keys_id}" class="keys"><summary>Keys</summary>
      <table>${keys.map(([key, what]) => `<tr><td><kbd>${key}</kbd></td><td>${what}</td></tr>`).join('')}</table>
      <p>Not while typing in a field.</p>
    </details>
  </div>
</div>
"""

CSS = """
.painter { display: flex; flex-direction: column; gap: 0.5rem; align-items: center; user-select: none;
           -webkit-user-select: none; -webkit-touch-callout: none; }
canvas { width: var(--painter-size, min(100%, 384px)); aspect-ratio: 1; image-rendering: pixelated;
         touch-action: none; cursor: crosshair; border: 1px solid var(--border-color-primary);
         border-radius: var(--radius-md); }
.tools { display: flex; gap: 0.3rem 0.35rem; align-items: center; flex-wrap: wrap; justify-content: center; }
button { padding: 0.25rem 0.7rem; border: 1px solid var(--border-color-primary); border-radius: var(--radius-md);
         background: var(--background-fill-primary); color: var(--body-text-color); cursor: pointer; }
button[aria-pressed="true"] { background: var(--color-accent); color: white; border-color: var(--color-accent); }
button:disabled { opacity: 0.45; cursor: default; }
.size-label { margin-left: 0.5rem; opacity: 0.8; }
.break { flex-basis: 100%; height: 0; }  /* undo, redo and the keys: a second line */
.history { font-size: 1.05rem; line-height: 1.2; padding: 0.05rem 0.55rem; }
.keys { font-size: 0.85rem; color: var(--body-text-color); margin-left: 0.5rem; }
.keys[open] { flex-basis: 100%; margin-left: 0; text-align: center; }
.keys summary { cursor: pointer; opacity: 0.8; }
.keys table { width: auto; margin: 0.25rem auto; border-collapse: collapse; text-align: left; }
.keys td { padding: 0.1rem 0.5rem; border: none; }
.keys td:first-child { text-align: right; white-space: nowrap; }
.keys p { margin: 0; opacity: 0.7; }
kbd { font-family: var(--font-mono); padding: 0 0.3rem; border: 1px solid var(--border-color-primary);
      border-radius: 3px; background: var(--background-fill-secondary); }
"""

# The browser side. `props.value` is {image: base64 RGB bytes, holes: "0101..."}; it is redrawn whenever it
# changes, from the server (watch) or from a stroke. A brush of size d covers the d x d CIFAR pixels nearest
# the pointer; moves are interpolated, so a fast stroke leaves no gaps.
SCRIPT = """
const N = 32, HOLE = %(hole)s, SIZES = %(sizes)s, KEY_BUTTONS = %(key_buttons)s;
const STEPS = %(steps)d, IMAGES = %(images)d;
const canvas = element.querySelector('canvas');
const context = canvas.getContext('2d');
const stepButtons = {undo: element.querySelector('[data-step="undo"]'),
                     redo: element.querySelector('[data-step="redo"]')};
let holes = new Uint8Array(N * N), image = null, shownImage = null, tool = 'paint', brush = %(brush)d;
let last = null, pointer = null, strokeTool = tool, peeking = false;
const histories = new Map();  // image (base64) -> {undo: [hole maps], redo: [hole maps], present: hole map}

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

function draw() {  // holding O (peeking) shows the original without its holes
  const frame = context.createImageData(N, N);
  for (let i = 0; i < N * N; i++) {
    const rgb = holes[i] && !peeking ? HOLE : image ? [image[3 * i], image[3 * i + 1], image[3 * i + 2]]
                                                    : [255, 255, 255];
    frame.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  context.putImageData(frame, 0, 0);
}

// ---- the history of hole maps, per image
function history() {
  const key = shownImage || '';
  let entry = histories.get(key);
  if (entry) histories.delete(key);  // re-inserted below: the Map's order is the order of last use
  else entry = {undo: [], redo: [], present: null};
  histories.set(key, entry);
  if (histories.size > IMAGES) histories.delete(histories.keys().next().value);
  return entry;
}

function showSteps() {
  const entry = histories.get(shownImage || '');
  stepButtons.undo.disabled = !(entry && entry.undo.length);
  stepButtons.redo.disabled = !(entry && entry.redo.length);
}

function remember(text) {  // the hole map now shown: a change when it differs from the image's present one
  const entry = history();
  if (entry.present !== null && entry.present !== text) {
    entry.undo.push(entry.present);
    if (entry.undo.length > STEPS) entry.undo.shift();
    entry.redo = [];
  }
  entry.present = text;
  showSteps();
}

function holeText() { return Array.from(holes, hole => hole ? '1' : '0').join(''); }

function send(text) {  // a hole map of the person's: the value, and one request (as any stroke)
  props.value = {...(props.value || {}), image: shownImage || '', holes: text};
  trigger('input');
}

function step(from, to) {  // undo: step('undo', 'redo'); redo: step('redo', 'undo')
  if (pointer !== null) return;  // not mid-stroke
  const entry = history();
  if (!entry[from].length) return;
  entry[to].push(entry.present);
  entry.present = entry[from].pop();
  decode({image: shownImage, holes: entry.present});
  draw();
  showSteps();
  send(entry.present);
}
Object.entries(stepButtons).forEach(([name, button]) =>
  button.addEventListener('click', () => name === 'undo' ? step('undo', 'redo') : step('redo', 'undo')));

// ---- painting, with a mouse, a finger or a pen (a pen's eraser end erases)
function cell(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) / box.width * N, (event.clientY - box.top) / box.height * N];
}

function stamp(x, y) {
  const left = Math.floor(x - brush / 2 + 0.5), top = Math.floor(y - brush / 2 + 0.5);
  for (let row = Math.max(top, 0); row < Math.min(top + brush, N); row++)
    for (let col = Math.max(left, 0); col < Math.min(left + brush, N); col++)
      holes[row * N + col] = strokeTool === 'paint' ? 1 : 0;
}

function strokeTo(point) {
  const [x, y] = point, [x0, y0] = last || point;
  const steps = Math.max(1, Math.ceil(Math.hypot(x - x0, y - y0) * 4));
  for (let i = 1; i <= steps; i++) stamp(x0 + (x - x0) * i / steps, y0 + (y - y0) * i / steps);
  last = point;
  draw();
}

canvas.addEventListener('pointerdown', event => {
  if ((event.button !== 0 && event.button !== 5) || !event.isPrimary || pointer !== null) return;
  try { canvas.setPointerCapture(event.pointerId); } catch (error) { /* a synthetic pointer: no capture */ }
  const focused = document.activeElement;
  if (focused && focused !== document.body && focused.blur) focused.blur();  // keys go to the painter now
  pointer = event.pointerId;
  strokeTool = event.button === 5 ? 'erase' : tool;
  last = null;
  strokeTo(cell(event));
  event.preventDefault();
});
canvas.addEventListener('pointermove', event => { if (event.pointerId === pointer) strokeTo(cell(event)); });
function finish(event) {
  if (event.pointerId !== pointer) return;
  pointer = null;
  last = null;
  const text = holeText();
  if (props.value && text === props.value.holes) return;  // nothing changed: no request
  remember(text);
  send(text);
}
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);
canvas.addEventListener('lostpointercapture', finish);
canvas.addEventListener('contextmenu', event => event.preventDefault());  // a long press paints, no menu

// ---- tools
function press(selector, attribute, chosen) {
  element.querySelectorAll(selector).forEach(button =>
    button.setAttribute('aria-pressed', String(button.getAttribute(attribute) === chosen)));
}
function chooseTool(chosen) { tool = chosen; press('.tool', 'data-tool', tool); }
function chooseSize(size) { brush = size; press('.size', 'data-size', String(size)); }
element.querySelectorAll('.tool').forEach(button =>
  button.addEventListener('click', () => chooseTool(button.dataset.tool)));
element.querySelectorAll('.size').forEach(button =>
  button.addEventListener('click', () => chooseSize(Number(button.dataset.size))));

// ---- keys, whenever focus is not in a text field
const TEXT_INPUTS = ['text', 'number', 'search', 'email', 'url', 'password', 'tel', 'date', 'time'];
function typing(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true;
  return target.tagName === 'INPUT' && TEXT_INPUTS.includes(target.type);
}
function peek(on) { if (peeking !== on) { peeking = on; draw(); } }
function onKeyDown(event) {
  if (!element.isConnected) return forget();
  if (event.defaultPrevented || typing(event.composedPath()[0])) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (event.ctrlKey || event.metaKey) {
    if (event.altKey) return;
    if (key === 'z') event.shiftKey ? step('redo', 'undo') : step('undo', 'redo');
    else if (key === 'y' && !event.shiftKey) step('redo', 'undo');
    else return;  // Ctrl+C still copies, Ctrl+R still reloads
  } else if (event.altKey && key !== '[' && key !== ']') {
    return;
  } else if (key === 'b') chooseTool('paint');
  else if (key === 'e') chooseTool('erase');
  else if (key === '[' || key === ']') {
    const index = SIZES.indexOf(brush) + (key === ']' ? 1 : -1);
    chooseSize(SIZES[Math.min(Math.max(index, 0), SIZES.length - 1)]);
  } else if (key === 'o') peek(true);
  else if (KEY_BUTTONS[key] && !event.repeat) {
    const button = document.getElementById(KEY_BUTTONS[key]);
    const target = button && (button.matches('button') ? button : button.querySelector('button'));
    if (!target || target.disabled) return;
    target.click();
  } else return;
  event.preventDefault();
}
function onKeyUp(event) { if (event.key.toLowerCase() === 'o') peek(false); }
function onBlur() { peek(false); }
function forget() {  // the painter left the page: its keys go with it
  document.removeEventListener('keydown', onKeyDown);
  document.removeEventListener('keyup', onKeyUp);
  window.removeEventListener('blur', onBlur);
}
document.addEventListener('keydown', onKeyDown);
document.addEventListener('keyup', onKeyUp);
window.addEventListener('blur', onBlur);

// ---- the server's values: drawn at once and recorded (a random mask, a clear, a loaded mask, a pick)
watch('value', () => { decode(props.value); draw(); remember(holeText()); });  // the server's wins, even mid-stroke
decode(props.value);
draw();
remember(holeText());
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


def hole_painter(value: dict, elem_id: str = "painter",
                 key_buttons: dict[str, tuple[str, str]] | None = None) -> gr.HTML:
    """The painter component, showing `value` (a `painter_value`); its `input` event fires after a stroke, an undo
    or a redo. `key_buttons` gives more keys: {key: (elem_id of a page button it clicks, what that does)}."""
    key_buttons = key_buttons or {}
    keys = [*KEYS[:3], *((key, what) for key, (_, what) in key_buttons.items()), *KEYS[3:]]
    script = SCRIPT % {"hole": json.dumps(list(HOLE_COLOR)), "sizes": json.dumps(list(BRUSH_SIZES)),
                       "key_buttons": json.dumps({key.lower(): target for key, (target, _) in key_buttons.items()}),
                       "brush": DEFAULT_BRUSH, "steps": HISTORY_STEPS, "images": HISTORY_IMAGES}
    return gr.HTML(value, html_template=TEMPLATE, css_template=CSS, js_on_load=script, apply_default_css=False,
                   elem_id=elem_id, sizes=list(BRUSH_SIZES), brush=DEFAULT_BRUSH, keys=[list(key) for key in keys],
                   undo_id=UNDO_ID, redo_id=REDO_ID, keys_id=KEYS_ID)
