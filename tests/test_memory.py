"""A server runs for weeks: a request must leave nothing behind in Python's heap (bench/soak.py measures the whole
server's resident memory; this is the part that cannot be noise)."""

import gc

import numpy as np
from app_inputs import MODEL_NAMES, gradient_image, save_png

from sslmodel.app import handlers, make_state
from sslmodel.app.painter import painter_value

WARM_UP, MEASURED = 10, 40


def object_growth(call) -> int:
    """Python objects alive after MEASURED more calls than after WARM_UP calls (caches fill during the warm-up)."""
    for _ in range(WARM_UP):
        call()
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(MEASURED):
        call()
    gc.collect()
    return len(gc.get_objects()) - before


def test_api_requests_retain_no_python_objects(tiny_models, tiny_examples, tmp_path):
    state = make_state(tiny_models, tiny_examples)
    image, mask = save_png(gradient_image(seed=1), tmp_path / "image.png"), tmp_path / "mask.png"
    hole = np.zeros((32, 32), bool)
    hole[8:20, 4:28] = True
    save_png((hole * 255).astype(np.uint8), mask)
    calls = iter(range(10**6))

    def request():
        handlers.inpaint(state, str(image), str(mask), MODEL_NAMES[next(calls) % len(MODEL_NAMES)])

    assert object_growth(request) < MEASURED // 4, "fewer than one object kept per request"


def test_page_events_retain_no_python_objects(tiny_models, tiny_examples):
    state = make_state(tiny_models, tiny_examples)
    image = gradient_image(seed=2)
    rng = np.random.default_rng(0)

    def stroke():
        holes = rng.random((32, 32)) < 0.3  # every request a new hole map: new results, new files
        handlers.on_run(state, image, "test", painter_value(image, holes), MODEL_NAMES[0])

    assert object_growth(stroke) < MEASURED // 4, "fewer than one object kept per event"
