"""The image tower contract every head plugs into: a timm trunk that normalises its own input and
gives a pooled embedding (classification, retrieval, CLIP) or multi-scale feature maps
(detection, segmentation).

Weights are never downloaded: timm is always called with ``pretrained=False`` unless the config
names a local checkpoint file (then timm loads that file, adapting RGB stems to ``in_chans``).
"""

from __future__ import annotations

from pathlib import Path

import timm
import torch
from torch import nn

from . import plain_cnn  # noqa: F401  (registers mammofm_cnn_tiny with timm)
from .config import ImageTowerConfig, ModelConfigError


class ImageEncoder(nn.Module):
    """(B, C, H, W) float in [0, 1] -> pooled (B, D) or a list of feature maps (coarsest last)."""

    def __init__(self, config: ImageTowerConfig) -> None:
        super().__init__()
        self.config = config
        c = config.in_chans
        if len(config.mean) != c or len(config.std) != c:
            raise ModelConfigError(f"image tower {config.timm_name}: mean/std need {c} values "
                                   f"(in_chans={c}), got {config.mean} / {config.std}")
        kwargs = dict(config.timm_kwargs)
        if config.drop_path_rate:
            kwargs["drop_path_rate"] = config.drop_path_rate
        try:
            if config.checkpoint:
                ckpt = Path(config.checkpoint)
                if not ckpt.is_file():
                    raise ModelConfigError(f"{ckpt}: image tower checkpoint file not found")
                self.trunk = timm.create_model(
                    config.timm_name, pretrained=True, in_chans=c, num_classes=0,
                    pretrained_cfg_overlay={"file": str(ckpt)}, **kwargs)
            else:
                self.trunk = timm.create_model(config.timm_name, pretrained=False, in_chans=c,
                                               num_classes=0, **kwargs)
        except RuntimeError as exc:  # timm: "Unknown model (...)"
            raise ModelConfigError(f"image tower {config.timm_name!r}: {exc}") from exc
        if not hasattr(self.trunk, "forward_intermediates"):
            raise ModelConfigError(f"image tower {config.timm_name!r}: timm model has no "
                                   "forward_intermediates, so it cannot give feature maps")
        self.register_buffer("mean", torch.tensor(config.mean).view(1, c, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(config.std).view(1, c, 1, 1), persistent=False)
        # pooled width: timm heads with a conv after pooling (MobileNetV3, LCNet) widen it
        self.num_features: int = int(getattr(self.trunk, "head_hidden_size", None)
                                     or self.trunk.num_features)

    @property
    def in_chans(self) -> int:
        return self.config.in_chans

    @property
    def image_size(self) -> tuple[int, int]:
        return tuple(self.config.image_size)  # type: ignore[return-value]

    @property
    def feature_info(self) -> list[dict[str, int]]:
        """One entry per feature map of ``forward_features``: channels and stride (reduction)."""
        return [{"num_chs": int(d["num_chs"]), "reduction": int(d["reduction"])}
                for d in self.trunk.feature_info]

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"image tower expects (B, C, H, W), got shape {tuple(x.shape)}")
        if x.shape[1] != self.in_chans:
            if x.shape[1] == 1:  # a grayscale frame fed to an RGB tower
                x = x.expand(-1, self.in_chans, -1, -1)
            else:
                raise ValueError(f"image tower expects {self.in_chans} channel(s), "
                                 f"got {x.shape[1]}")
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(self.normalize(x))  # (B, D)

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps at every stage of ``feature_info``, finest first, coarsest last."""
        return list(self.trunk.forward_intermediates(self.normalize(x), intermediates_only=True))
