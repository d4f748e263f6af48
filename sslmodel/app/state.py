"""What the page loads once: models, example images, the gallery, probes, training frames, the output folder."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from gradio.utils import get_upload_folder as gradio_upload_folder

from ..bundle import BundleError
from ..inpainter import Inpainter
from .activity import Activity
from .examples import ExampleSet, find_examples
from .learned import ModelPanels, Reference, load_reference, model_panels
from .outputs import OutputFiles
from .showcase import ProbePair, bundle_folder, list_frames, load_probe_pair

EXAMPLES_PER_CLASS = 3  # gallery columns: this many images of every class


def ready(value) -> Future:
    done = Future()
    done.set_result(value)
    return done


@dataclass
class LoadedModel:
    """One model the page offers: its inpainter and what its bundle ships for the showcase panels."""
    inpainter: Inpainter
    probes: ProbePair | None = None  # None: the bundle has no class probe
    frames: dict[int, Path] = field(default_factory=dict)  # {epoch: training frame}, empty when it has none
    pending_panels: Future = field(default_factory=lambda: ready(ModelPanels()))  # of ModelPanels

    @property
    def panels(self) -> ModelPanels:
        """"What did it learn?": reference features, maps, curve. Made in the background at start-up (a first
        start computes maps for seconds), so the page answers at once and only these panels may wait."""
        return self.pending_panels.result()


@dataclass
class AppState:
    """Everything the handlers read; built once per server by `make_state` (or `load_state` from names)."""
    models: dict[str, LoadedModel]
    examples: ExampleSet | None
    notice: str = ""  # shown above everything: models that did not load, how to get examples
    files: OutputFiles = field(default_factory=OutputFiles)
    gallery_indices: list[int] = field(default_factory=list)  # example index of every gallery item
    gallery_items: list[tuple[np.ndarray, str]] = field(default_factory=list)  # (32x32 image, label)
    reference: Reference | None = None  # where look-alikes come from; None: no look-alikes or maps
    activity: Activity = field(default_factory=Activity)  # the events people wait for: the rest waits for a pause

    @property
    def model_names(self) -> list[str]:
        return list(self.models)

    @property
    def first_model(self) -> str | None:
        return next(iter(self.models), None)

    @property
    def inpainters(self) -> dict[str, Inpainter]:
        return {name: model.inpainter for name, model in self.models.items()}

    def frames(self, name: str | None) -> dict[int, Path]:
        """The training frames of a model (none for an unknown name or no name)."""
        model = self.models.get(name or "")
        return model.frames if model else {}


def loaded_model(name: str, inpainter: Inpainter, panels: Future) -> LoadedModel:
    """A model, its bundle's probes and frames when its folder is on this machine, and its panels (a future)."""
    folder = bundle_folder(name) or bundle_folder(inpainter.name)
    if folder is None:
        return LoadedModel(inpainter, pending_panels=panels)
    return LoadedModel(inpainter, load_probe_pair(folder), list_frames(folder), panels)


def make_state(models: dict[str, Inpainter], examples: ExampleSet | None, notice: str = "",
               files: OutputFiles | None = None, reference: Reference | None = None) -> AppState:
    """The state for these models and examples: the gallery decoded, each bundle's probes and frames found, and
    with a `reference` set (learned.load_reference) each model's look-alike features and maps made in the
    background, one model after the other."""
    indices, items = examples.gallery(EXAMPLES_PER_CLASS) if examples else ([], [])
    files = files or OutputFiles(upload_dir=gradio_upload_folder())
    worker = ThreadPoolExecutor(1, thread_name_prefix="model-panels")  # one model at a time, beside start-up
    loaded = {name: loaded_model(name, inpainter, worker.submit(model_panels, inpainter, reference))
              for name, inpainter in models.items()}
    worker.shutdown(wait=False)  # what was submitted still runs; the thread ends after it
    return AppState(loaded, examples, notice, files, indices, items, reference=reference)


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


def page_notice(models: dict[str, Inpainter], problems: list[str], examples_note: str) -> str:
    """What the page says above everything else: models that did not load, how to get examples."""
    model_note = no_model_notice(problems) if not models else "\n".join(f"Could not load {p}" for p in problems)
    return "\n\n".join(note for note in (model_note, examples_note) if note)


def load_state(model_names: Sequence[str], examples_folder: str | None = None, download: bool = False) -> AppState:
    """Load the models and find the examples (downloading CIFAR-10's test set only when `download`)."""
    models, problems = load_models(model_names)
    examples, examples_note = find_examples(examples_folder, download=download)
    return make_state(models, examples, page_notice(models, problems, examples_note), reference=load_reference())
