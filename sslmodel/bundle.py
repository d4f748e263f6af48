"""Weights bundles: a folder with model.safetensors, config.json and a model card (README.md, from card.py),
plus, when they exist, frames/*.png (written by train.py) and probe.safetensors / probe.json (sslmodel.probe).

BUNDLE_PATTERNS names these files once: `push_bundle` publishes only them (never a run's checkpoint or logs), and
`resolve` fetches only them from a Hub repo id, so the same bundle loads from disk or from the Hub.
Weights are only ever read from safetensors: nothing from the Hub is unpickled.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import HfApi, is_offline_mode, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from .atomic import atomic_path, write_text
from .bundle_config import BundleConfig
from .card import model_card
from .models import build_model

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CARD_NAME = "README.md"
FRAMES_DIR = "frames"
PROBE_FILES = ("probe.safetensors", "probe.json")  # sslmodel.probe's PROBE_WEIGHTS and PROBE_CONFIG
# Every file of a bundle, as Hub glob patterns (fnmatch, paths relative to the folder); nothing pickled.
BUNDLE_PATTERNS = [WEIGHTS_NAME, CONFIG_NAME, CARD_NAME, f"{FRAMES_DIR}/*.png", *PROBE_FILES]
MESSAGE_LIMIT = 300  # characters of another library's message in a BundleError (some run to thousands)
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
DEFAULT_MODEL = "default"
MAX_PARAMETERS = 50_000_000  # 200 MB of float32; the shipped models have about 1 M


class BundleError(RuntimeError):
    """A bundle that cannot be loaded; the message says which and why."""


def shipped_models() -> list[str]:
    """Names of the bundles that ship with the repository (folders under pretrained/), default first."""
    names = [path.parent.name for path in PRETRAINED_DIR.glob(f"*/{WEIGHTS_NAME}")]
    return sorted(names, key=lambda name: (name != DEFAULT_MODEL, name))


def write_config(folder: Path, config: BundleConfig) -> None:
    """config.json and the model card made from it, each atomically."""
    write_text(folder / CONFIG_NAME, json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n")
    write_text(folder / CARD_NAME, model_card(config))


def save_bundle(model: torch.nn.Module, folder: str | os.PathLike, config: BundleConfig | dict[str, Any],
                frames: dict[str, bytes] | None = None) -> Path:
    """Write weights, config and model card; each file atomically. `frames` maps file names to PNG bytes; a dict
    config is read through the schema (BundleConfig.from_dict)."""
    folder = Path(folder)
    config = BundleConfig.from_dict(config) if isinstance(config, dict) else config
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    with atomic_path(folder / WEIGHTS_NAME) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt", "arch": config.arch})
    write_config(folder, config)
    for name, png in (frames or {}).items():
        with atomic_path(folder / FRAMES_DIR / name) as tmp:
            tmp.write_bytes(png)
    return folder


def record_in_bundle(folder: str | os.PathLike, key: str, value: Any) -> Path:
    """Set `key` in a local bundle's config.json and rewrite its model card to match, each atomically (the weights,
    and so anything that records their hash, are untouched)."""
    folder = Path(folder)
    values = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8")) | {key: value}
    write_config(folder, BundleConfig.from_dict(values))
    return folder


def resolve(name_or_path: str | os.PathLike | None) -> Path:
    """A shipped model's name, a bundle folder or a Hub repo id -> a local folder holding the bundle.

    A repo id is fetched with its frames and probes (BUNDLE_PATTERNS only) into the Hugging Face cache, or found
    there when the Hub cannot be reached or HF_HUB_OFFLINE=1."""
    name = str(name_or_path) if name_or_path is not None else DEFAULT_MODEL
    if (PRETRAINED_DIR / name / WEIGHTS_NAME).exists() and not os.path.isdir(name):
        return PRETRAINED_DIR / name
    if os.path.isdir(name):
        return Path(name)
    if name.count("/") != 1 or name.startswith((".", "/")):
        shipped = ", ".join(shipped_models()) or "none"
        raise BundleError(f"no bundle {name!r}: not a shipped model ({shipped}), a folder, or a Hub repo id")
    return download_bundle(name)


def download_bundle(repo_id: str) -> Path:
    """The bundle files of a Hub model repo, in one snapshot_download: the cached snapshot folder."""
    offline = " (offline: HF_HUB_OFFLINE is set)" if is_offline_mode() else " (no connection)"
    try:
        folder = Path(snapshot_download(repo_id=repo_id, allow_patterns=BUNDLE_PATTERNS))
    except LocalEntryNotFoundError:
        raise BundleError(f"{repo_id} is not in the local Hugging Face cache and the Hub cannot be reached"
                          f"{offline}") from None
    except RepositoryNotFoundError:
        raise BundleError(f"no Hub model repo {repo_id} (or it is private or gated: log in with `hf auth login` "
                          "or set HF_TOKEN)") from None
    except (HfHubHTTPError, OSError, ValueError) as error:
        raise BundleError(f"could not download {repo_id} from the Hub: {shorten(error)}") from None
    missing = " or ".join(file for file in (CONFIG_NAME, WEIGHTS_NAME) if not (folder / file).is_file())
    if missing and is_offline_mode():
        raise BundleError(f"the cached copy of {repo_id} has no {missing} and the Hub cannot be reached{offline}")
    if missing:
        raise BundleError(f"{repo_id} has no {missing}: not an sslmodel bundle")
    return folder


def shorten(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """One line of at most `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def listed(names: list[str], shown: int = 3) -> str:
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def state_mismatch(expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]]) -> str:
    """'' when `found` has exactly the tensor names and shapes of `expected` (a model's), otherwise a short account
    of what differs (load_state_dict's own message lists every tensor)."""
    differ = [key for key in expected if key in found and tuple(found[key]) != tuple(expected[key])]
    missing = [key for key in expected if key not in found]
    unexpected = [key for key in found if key not in expected]
    parts = []
    if differ:
        key = differ[0]
        parts.append(f"{len(differ)} tensor(s) differ in shape (first: {key} {tuple(found[key])} in the "
                     f"file, {tuple(expected[key])} in the model)")
    if missing:
        parts.append(f"{len(missing)} missing ({listed(missing)})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected ({listed(unexpected)})")
    return "; ".join(parts)


def read_config(folder: Path) -> BundleConfig:
    config_path = folder / CONFIG_NAME
    try:
        return BundleConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise BundleError(f"{folder} has no {CONFIG_NAME}") from None
    except OSError as error:  # a folder, no permission, an I/O error
        raise BundleError(f"{config_path} cannot be read: {error.strerror or error}") from None
    except KeyError as error:
        raise BundleError(f"{config_path} is not a valid bundle config (no {error})") from None
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise BundleError(f"{config_path} is not a valid bundle config ({shorten(error)})") from None


def planned_shapes(config: BundleConfig, config_path: Path) -> dict[str, tuple[int, ...]]:
    """The tensor shapes the config's network would have, from a model built on the meta device (shapes without
    memory), refused if it is larger than MAX_PARAMETERS: nothing is allocated for a config that asks too much."""
    try:
        with torch.device("meta"):
            skeleton = build_model(config.arch, **config.arch_config)
    except (TypeError, ValueError, RuntimeError) as error:
        raise BundleError(f"{config_path} is not a valid bundle config ({shorten(error)})") from None
    shapes = {name: tuple(tensor.shape) for name, tensor in skeleton.state_dict().items()}
    parameters = sum(math.prod(shape) for shape in shapes.values())
    if parameters > MAX_PARAMETERS:
        raise BundleError(f"{config_path} asks for a {config.arch} {json.dumps(config.arch_config)} of "
                          f"{parameters:,} parameters, more than the {MAX_PARAMETERS:,} this loader accepts")
    return shapes


def stored_shapes(weights_path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes from a safetensors header, without reading the tensors."""
    try:
        with safe_open(str(weights_path), framework="pt") as weights:
            return {name: tuple(weights.get_slice(name).get_shape()) for name in weights.keys()}
    except FileNotFoundError:
        raise BundleError(f"{weights_path.parent} has no {WEIGHTS_NAME}") from None
    except (SafetensorError, OSError) as error:
        raise BundleError(f"{weights_path} is corrupt or cannot be read: {shorten(error)}") from None


def load_bundle(name_or_path: str | os.PathLike | None = None, device: str | torch.device = "cpu"
                ) -> tuple[torch.nn.Module, BundleConfig]:
    """Rebuild a model from its bundle: (model in eval mode, its config). The config is checked against the
    weights' header before the network is built, so a bundle that does not fit costs no memory."""
    folder = resolve(name_or_path)
    weights_path = folder / WEIGHTS_NAME
    config = read_config(folder)
    does_not_fit = f"{weights_path} does not fit {config.arch} {json.dumps(config.arch_config)}"
    if mismatch := state_mismatch(planned_shapes(config, folder / CONFIG_NAME), stored_shapes(weights_path)):
        raise BundleError(f"{does_not_fit}: {shorten(mismatch)}")
    model = build_model(config.arch, **config.arch_config)
    try:
        model.load_state_dict(load_file(str(weights_path), device=str(device)), strict=True)
    except (SafetensorError, OSError) as error:
        raise BundleError(f"{weights_path} is corrupt or cannot be read: {shorten(error)}") from None
    except RuntimeError as error:
        raise BundleError(f"{does_not_fit}: {shorten(error)}") from None
    return model.to(device, memory_format=torch.channels_last).eval(), config


def push_bundle(folder: str | os.PathLike, repo_id: str, token: str | None = None, private: bool | None = None) -> str:
    """Publish a bundle as a Hub model repo in one commit: only its BUNDLE_PATTERNS files, so a run folder's
    checkpoint, logs and samples stay local. Bundle files already in the repo that this folder lacks (frames of a
    longer run, a probe of other weights) are deleted in the same commit. The token comes from `hf auth login`
    or HF_TOKEN."""
    folder = Path(folder)
    missing = [file for file in (CONFIG_NAME, WEIGHTS_NAME, CARD_NAME) if not (folder / file).is_file()]
    if missing:
        raise BundleError(f"{folder} is not a bundle to push: it has no {', '.join(missing)}")
    api = HfApi(token=token)
    repo_id = api.create_repo(repo_id=repo_id, private=private, exist_ok=True).repo_id
    commit = api.upload_folder(repo_id=repo_id, repo_type="model", folder_path=str(folder),
                               allow_patterns=BUNDLE_PATTERNS, delete_patterns=BUNDLE_PATTERNS,
                               commit_message="Upload sslmodel inpainting bundle")
    return str(commit)
