"""A saved model is a folder: ``config.json`` (architecture + preprocessing + provenance),
``model.safetensors`` (every weight) and ``text/`` (tokenizer + transformers config).

Loading is strict and offline: every missing, unexpected or mis-shaped key is named in one
error. (The PyPI ``mammoclip`` package loads non-strictly and silently leaves its image tower
random; we never do that.) Files are written atomically, weights before ``config.json``, so a
folder with a config is a complete folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from mammofm.common.atomic import atomic_path, atomic_write_text

from .config import ModelConfigError

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TEXT_DIR = "text"
FORMAT = "mammofm-model/1"


class ModelLoadError(ValueError):
    """A model folder that cannot be loaded exactly, naming the file and every bad key."""


def save_pretrained(model: nn.Module, directory: str | os.PathLike[str]) -> Path:
    """Write ``model`` (with ``.config``) as a folder; returns the folder."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    text = getattr(model, "text", None)
    if text is not None and hasattr(text, "save_folder"):
        text.save_folder(out / TEXT_DIR)
    from mammofm import __version__

    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(out / WEIGHTS_FILE) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt", "mammofm": __version__})
    config = model.config.to_dict()  # type: ignore[union-attr,operator]
    data = {"format": FORMAT, "mammofm_version": __version__, **config}
    atomic_write_text(out / CONFIG_FILE, json.dumps(data, indent=2) + "\n")
    return out


def read_config(directory: str | os.PathLike[str]) -> dict:
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise ModelLoadError(f"{path}: not a saved model (config.json missing)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({exc})") from exc
    data.pop("format", None)
    data.pop("mammofm_version", None)
    return data


def load_pretrained(directory: str | os.PathLike[str]) -> nn.Module:
    """Rebuild the architecture from ``config.json`` and load ``model.safetensors`` strictly."""
    from .registry import model_class

    folder = Path(directory)
    data = read_config(folder)
    kind = data.get("kind", "clip")
    cls = model_class(kind)
    try:
        config = cls.config_class.from_dict(data, source=str(folder / CONFIG_FILE))
    except ModelConfigError as exc:
        raise ModelLoadError(str(exc)) from exc
    model = cls.from_folder_architecture(config, folder)
    load_weights_strict(model, folder / WEIGHTS_FILE)
    model.eval()
    return model


def load_weights_strict(model: nn.Module, path: str | os.PathLike[str]) -> None:
    """Load a safetensors file into ``model``; raise naming every missing / unexpected /
    mis-shaped key instead of loading part of it."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: weights file not found")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise ModelLoadError(f"{path}: cannot read weights ({exc})") from exc
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f"{k} (file {tuple(state[k].shape)}, model {tuple(own[k].shape)})"
                    for k in set(own) & set(state) if state[k].shape != own[k].shape)
    problems = []
    if missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {', '.join(unexpected)}")
    if shapes:
        problems.append(f"shape mismatches: {', '.join(shapes)}")
    if problems:
        raise ModelLoadError(f"{path}: weights do not match the model: " + "; ".join(problems))
    model.load_state_dict(state, strict=True)
