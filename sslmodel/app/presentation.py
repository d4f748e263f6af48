"""Presentation mode and the dark theme: two switches at the top of the page, and the CSS of presentation mode.

Presentation mode (the switch, or `?present=1` in the address) hides the help texts and enlarges the painter and
the before/after slider so that choosing, painting and the result fit a 1280x720 projector without scrolling.
The dark theme is Gradio's own (`?__theme=dark`); the switch toggles it in place. Both are classes on <body>,
set by the browser alone (no request), and written back into the address, so a reload or a bookmark keeps them.
"""

from __future__ import annotations

import gradio as gr

PRESENT_ID, DARK_ID = "present", "dark-theme"  # the switches' element ids

TEMPLATE = """
<div class="switches">
  <button type="button" id="${present_id}" data-switch="present" aria-pressed="false"
    title="Bigger painter and result, no help texts: for a projector (also ?present=1)">Presentation mode</button>
  <button type="button" id="${dark_id}" data-switch="dark" aria-pressed="false"
    title="Dark theme (also ?__theme=dark)">Dark theme</button>
</div>
"""

CSS = """
.switches { display: flex; gap: 0.4rem; justify-content: flex-end; }
button { padding: 0.2rem 0.65rem; font-size: 0.85rem; border: 1px solid var(--border-color-primary);
         border-radius: var(--radius-md); background: var(--background-fill-primary); color: var(--body-text-color);
         cursor: pointer; }
button[aria-pressed="true"] { background: var(--color-accent); color: white; border-color: var(--color-accent); }
"""

SCRIPT = """
const body = document.body;
const buttons = {present: element.querySelector('[data-switch="present"]'),
                 dark: element.querySelector('[data-switch="dark"]')};
function show() {
  buttons.present.setAttribute('aria-pressed', String(body.classList.contains('present')));
  buttons.dark.setAttribute('aria-pressed', String(body.classList.contains('dark')));
}
function keep(name, value) {  // into the address, without a reload
  const url = new URL(window.location.href);
  if (value === null) url.searchParams.delete(name); else url.searchParams.set(name, value);
  window.history.replaceState(window.history.state, '', url);
}
buttons.present.addEventListener('click', () => {
  const on = body.classList.toggle('present');
  keep('present', on ? '1' : null);
});
buttons.dark.addEventListener('click', () => {
  const on = body.classList.toggle('dark');
  keep('__theme', on ? 'dark' : 'light');
});
if (new URL(window.location.href).searchParams.get('present') === '1') body.classList.add('present');
new MutationObserver(show).observe(body, {attributes: true, attributeFilter: ['class']});  // Gradio sets 'dark' too
show();
"""

# Page CSS (launch's css). The switches sit in the top right corner. In presentation mode the page column becomes
# a grid: the three steps' columns (their row `display: contents`) side by side, the choosing column narrower, and
# under it the result tiles, three to a line; the header, the help texts and the "Results" heading go; the painter
# and the slider grow with the window's height. At 1280x720 all of it fits without scrolling.
PRESENT_CSS = """
#page-switches { position: absolute; top: 0.25rem; right: 1rem; width: auto !important; z-index: 10; }
body.present #page-switches { position: fixed !important; top: 0.4rem !important; }  /* over Gradio's own rule */
body.present #header, body.present .help, body.present #keys-help, body.present #results-heading,
body.present .notice, body.present #share-row { display: none !important; }
body.present .gradio-container { padding-top: 0 !important; }
body.present .column:has(> #steps) {
  display: grid; grid-template-columns: minmax(340px, 0.75fr) minmax(0, 1.1fr) minmax(0, 1fr);
  column-gap: var(--layout-gap); row-gap: 0.5rem; align-items: start; }
body.present :where(.column:has(> #steps) > *) { grid-column: 1 / -1; }  /* any other block: a full line */
body.present #steps { display: contents; }
body.present #choose-column { grid-column: 1; grid-row: 1; }
body.present #paint-column { grid-column: 2; grid-row: 1 / span 2; }
body.present #fill-column { grid-column: 3; grid-row: 1 / span 2; }
body.present #tiles { grid-column: 1; grid-row: 2; gap: 0.4rem; }
body.present #tiles > .block { flex: 1 1 30% !important; min-width: 30% !important; height: 118px !important; }
body.present #steps .column { gap: 0.5rem; }
body.present #tiles .icon-button-wrapper, body.present #tiles label svg { display: none; }
body.present #tiles label { font-size: 0.8rem; padding: 0.1rem 0.35rem; }
body.present #steps h3 { margin: 0.25rem 0 0; }
body.present #examples { height: calc(100vh - 440px) !important; }
body.present #painter { --painter-size: min(100%, calc(100vh - 270px)); }
body.present #slider { height: calc(100vh - 265px) !important; }
body.present #slider img { max-height: none !important; }
body.present #painter .tools { flex-wrap: nowrap; gap: 0.25rem; }
body.present #painter .tools button { padding: 0.25rem 0.5rem; }
body.present #painter .size-label, body.present #painter .break { display: none; }
body.present #painter .history[data-step="undo"] { margin-left: 0.4rem; }
body.present #hole-buttons { flex-wrap: nowrap; gap: 0.4rem; }
body.present #hole-buttons > button { font-size: var(--text-md); padding: 0.45rem 0.4rem; }
body.present #painter button { white-space: nowrap; }
/* A phone: the switches take a line of their own above the title, and nothing is wider than the screen. */
@media (max-width: 640px) {
  #page-switches { position: static !important; margin: 0 0 0.25rem auto; }
  .gradio-container { padding-left: 0.5rem !important; padding-right: 0.5rem !important; }
  #steps .column, #tiles > .block { min-width: 0 !important; }
  #painter { --painter-size: min(100%, calc(100vw - 2.5rem)); }
  #hole-buttons, #tiles { flex-wrap: wrap; }
}
"""


def page_switches() -> gr.HTML:
    """The presentation-mode and dark-theme switches (no events: the browser toggles them)."""
    return gr.HTML(html_template=TEMPLATE, css_template=CSS, js_on_load=SCRIPT, apply_default_css=False,
                   elem_id="page-switches", present_id=PRESENT_ID, dark_id=DARK_ID)
