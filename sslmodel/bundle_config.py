"""config.json of a weights bundle, declared once: what train.py writes, what loading and the model card read.

    arch, arch_config   rebuild the network (models.build_model)
    recipe              what a training step did (engine.Recipe)
    metrics             final validation scores per hole family: hole_psnr, psnr, ssim
    training            how the run went (TrainingRecord)
    probe               few-label results, added by `python -m sslmodel.probe --save-probe` (optional)
Keys this schema does not know are kept as they are (`extra`), so an older or newer file round-trips.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .engine import Recipe


@dataclass(frozen=True)
class TrainingRecord:
    command: str = ""
    data: str = ""
    train_images: int = 0
    val_images: int = 0
    val_fingerprint: str | None = None   # the held-out split's identity (data.py)
    epochs_completed: int = 0
    compiled: bool | None = None
    wall_time_seconds: float = 0.0
    hardware: str = ""
    parameters: int = 0
    history: list[dict] = field(default_factory=list)  # log.jsonl's rows


def known(cls, values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in values.items() if key in names}


@dataclass(frozen=True)
class BundleConfig:
    arch: str
    arch_config: dict = field(default_factory=dict)
    recipe: Recipe = field(default_factory=Recipe)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    training: TrainingRecord = field(default_factory=TrainingRecord)
    probe: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        values = {"arch": self.arch, "arch_config": self.arch_config, "recipe": self.recipe.to_dict(),
                  "metrics": self.metrics, "training": asdict(self.training)}
        if self.probe is not None:
            values["probe"] = self.probe
        return self.extra | values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "BundleConfig":
        """Raises KeyError without "arch", TypeError or ValueError for a malformed field."""
        if not isinstance(values, dict):
            raise TypeError("config.json must hold a JSON object")
        schema = {f.name for f in fields(cls)}
        return cls(arch=values["arch"], arch_config=dict(values.get("arch_config") or {}),
                   recipe=Recipe.from_dict(values.get("recipe") or {}), metrics=values.get("metrics") or {},
                   training=TrainingRecord(**known(TrainingRecord, values.get("training") or {})),
                   probe=values.get("probe"), extra={k: v for k, v in values.items() if k not in schema})
