"""Models: a registry of named configs (JSON), image towers (timm), text towers (transformers),
MammoCLIP, and strict save / load of model folders.

    create_model("mammoclip-tiny")  ->  MammoCLIP (plain nn.Module with .config)
    model.save_pretrained(dir); load_model(dir)  (strict, offline)
"""

from __future__ import annotations

from .clip import MammoCLIP
from .config import ClipConfig, ImageTowerConfig, ModelConfigError, TextTowerConfig
from .image_encoder import ImageEncoder
from .registry import (create_model, get_config, list_models, load_model, register_config_dir,
                       register_model_kind)
from .serialization import ModelLoadError, load_weights_strict, save_pretrained
from .text_encoder import TextEncoder

__all__ = [
    "ClipConfig", "ImageEncoder", "ImageTowerConfig", "MammoCLIP", "ModelConfigError",
    "ModelLoadError", "TextEncoder", "TextTowerConfig", "create_model", "get_config",
    "list_models", "load_model", "load_weights_strict", "register_config_dir",
    "register_model_kind", "save_pretrained",
]


def from_pretrained(directory: str) -> MammoCLIP:
    """Load a saved MammoCLIP folder (strict, offline)."""
    return MammoCLIP.from_pretrained(directory)
