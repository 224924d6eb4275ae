"""One registry for kinds of models and one for named configs, and the small factory over them.

A named config is a JSON file (``configs/<name>.json``, or any folder added with
``register_config_dir``); its ``kind`` picks the model class registered with
``register_model_kind``. ``create_model`` = find config -> apply overrides -> build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .config import ClipConfig, ModelConfigError, apply_overrides

CONFIG_DIRS: list[Path] = [Path(__file__).parent / "configs"]
_KINDS: dict[str, type] = {}


def register_model_kind(kind: str) -> Callable[[type], type]:
    """Class decorator: the class has ``config_class``, ``build(config, text_corpus)`` and
    ``from_folder_architecture(config, folder)``."""
    def deco(cls: type) -> type:
        _KINDS[kind] = cls
        return cls
    return deco


def model_class(kind: str) -> type:
    _ensure_kinds()
    try:
        return _KINDS[kind]
    except KeyError:
        raise ModelConfigError(f"unknown model kind {kind!r} (known: {', '.join(sorted(_KINDS))})"
                               ) from None


def register_config_dir(path: str | os.PathLike[str]) -> None:
    """Add a folder of ``<name>.json`` model configs (searched after the built-in ones)."""
    p = Path(path)
    if p not in CONFIG_DIRS:
        CONFIG_DIRS.append(p)


def list_models() -> list[str]:
    """Names of every named config, sorted."""
    return sorted({f.stem for d in CONFIG_DIRS if d.is_dir() for f in d.glob("*.json")})


def get_config(name_or_path: str | os.PathLike[str]) -> ClipConfig:
    """A named config, or a JSON file given by path."""
    p = Path(name_or_path)
    if p.suffix == ".json" and p.is_file():
        return ClipConfig.from_json(p)
    for d in CONFIG_DIRS:
        f = d / f"{name_or_path}.json"
        if f.is_file():
            return ClipConfig.from_json(f)
    known = ", ".join(list_models())
    raise ModelConfigError(f"unknown model {str(name_or_path)!r} (known: {known})")


def create_model(name_or_config: str | os.PathLike[str] | ClipConfig | dict[str, Any], *,
                 text_corpus: Iterable[str] | None = None, seed: int | None = None,
                 **overrides: Any) -> nn.Module:
    """Build a model from a name, a JSON path, a config dict or dataclass, plus overrides
    (``image_size=(128, 80)``, ``vision={...}``, ...). ``text_corpus`` trains the tokenizer of
    a bert-small text tower; ``seed`` makes the random initialisation reproducible."""
    if isinstance(name_or_config, ClipConfig):
        config = name_or_config
    elif isinstance(name_or_config, dict):
        config = ClipConfig.from_dict(name_or_config)
    else:
        config = get_config(name_or_config)
    if overrides:
        config = apply_overrides(config, overrides)
    cls = model_class(config.kind)
    if seed is None:
        return cls.build(config, text_corpus)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls.build(config, text_corpus)


def load_model(directory: str | os.PathLike[str]) -> nn.Module:
    """Load a saved model folder (any registered kind), strictly and offline."""
    from .serialization import load_pretrained

    return load_pretrained(directory)


def _ensure_kinds() -> None:
    if "clip" not in _KINDS:
        from .clip import MammoCLIP

        _KINDS["clip"] = MammoCLIP
