"""MammoCLIP: an image tower and a text tower projected into one normalised space.

As in Mammo-CLIP (MICCAI 2024): linear projections of the pooled image and text features to
``embed_dim``, and a learnable temperature (``logit_scale`` = log(1 / T), T starting at 0.07).
Training (losses, data, schedules) lives in ``mammofm.train``; this is a plain ``nn.Module``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .config import ClipConfig
from .image_encoder import ImageEncoder
from .text_encoder import TextEncoder

MAX_LOGIT_SCALE = math.log(100.0)  # CLIP's clamp: temperature never below 0.01


class MammoCLIP(nn.Module):
    """``.visual`` (ImageEncoder) + ``.text`` (TextEncoder) + projections + ``logit_scale``."""

    config_class = ClipConfig

    def __init__(self, config: ClipConfig, visual: ImageEncoder, text: TextEncoder) -> None:
        super().__init__()
        self.config = config
        self.visual = visual
        self.text = text
        self.image_projection = nn.Linear(visual.num_features, config.embed_dim, bias=False)
        self.text_projection = nn.Linear(text.num_features, config.embed_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / config.init_temperature)))

    # --- building -----------------------------------------------------------------------------
    @classmethod
    def build(cls, config: ClipConfig, text_corpus: Iterable[str] | None = None) -> MammoCLIP:
        """A fresh model; ``text_corpus`` trains the tokenizer of a bert-small text tower."""
        return cls(config, ImageEncoder(config.vision), TextEncoder.build(config.text, text_corpus))

    @classmethod
    def from_folder_architecture(cls, config: ClipConfig, folder: str | os.PathLike[str]
                                 ) -> MammoCLIP:
        """The architecture of a saved folder, random weights (the caller loads them): no
        tokenizer training, no timm checkpoint, no transformers weights."""
        vision = dataclasses.replace(config.vision, checkpoint=None)
        text = TextEncoder.from_folder(config.text, Path(folder) / "text")
        return cls(config, ImageEncoder(vision), text)

    def save_pretrained(self, directory: str | os.PathLike[str]) -> Path:
        from .serialization import save_pretrained

        return save_pretrained(self, directory)

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike[str]) -> MammoCLIP:
        from .serialization import load_pretrained

        model = load_pretrained(directory)
        if not isinstance(model, cls):
            raise TypeError(f"{directory}: holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    # --- running ------------------------------------------------------------------------------
    def encode_image(self, images: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """(B, C, H, W) in [0, 1] -> (B, E)."""
        return self.project_image(self.visual(images), normalize)

    def project_image(self, features: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """Pooled image-tower features (B, F) -> joint-space embeddings (B, E)."""
        z = self.image_projection(features)
        return F.normalize(z, dim=-1) if normalize else z

    def encode_text(self, texts: list[str], normalize: bool = True) -> torch.Tensor:
        """list of B strings -> (B, E)."""
        z = self.text_projection(self.text(texts))
        return F.normalize(z, dim=-1) if normalize else z

    def scale(self) -> torch.Tensor:
        """exp(logit_scale), clamped to at most 100 (CLIP)."""
        return self.logit_scale.clamp(max=MAX_LOGIT_SCALE).exp()

    def forward(self, images: torch.Tensor, texts: list[str]) -> dict[str, torch.Tensor]:
        return {"image_embeds": self.encode_image(images), "text_embeds": self.encode_text(texts),
                "logit_scale": self.scale()}
