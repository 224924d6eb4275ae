"""A plain VGG-style CNN registered in timm (``mammofm_cnn_tiny``): the image tower of
``mammoclip-tiny``.

Why not a timm mobile net: at the CPU sizes of tests and demos (128x80 to 256x160) a mass is
4-10 px across. Towers with a stride-4 stem (ResNet, LCNet, EfficientNet) reduce it to a pixel
before any feature sees it, and from scratch on a few hundred exams they learn lesions poorly
(measured in ``benchmarks/mammoclip.py``'s notes: supervised mass AUC 0.72 resnet10t vs 0.81
for this net, same data). Here the first 3x3 conv runs at full resolution, every stage halves
the map by max-pooling (keeps small bright findings), and the pooled embedding is the mean of
global average and global max pooling.

Registered with timm so that configs name it like any timm model, and it speaks timm's
interfaces the rest of mammofm uses: ``forward_features``, ``forward_head(pre_logits=True)``,
``forward_intermediates``, ``feature_info``, ``num_features``, ``reset_classifier``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from timm.models import register_model
from torch import nn

__all__ = ["PlainCNN", "mammofm_cnn_tiny"]


def _stage(c_in: int, c_out: int, convs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(convs):
        layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=False),
                   nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    layers.append(nn.MaxPool2d(2, ceil_mode=True))
    return nn.Sequential(*layers)


class PlainCNN(nn.Module):
    """conv-BN-ReLU stages, each ending in a 2x2 max-pool (strides 2, 4, ..., 2^len(widths));
    pooled output = (global mean + global max) / 2, then an optional linear classifier."""

    def __init__(self, widths: Sequence[int] = (16, 32, 64, 128, 192), convs_per_stage: int = 1,
                 in_chans: int = 1, num_classes: int = 0, drop_rate: float = 0.0,
                 global_pool: str = "avgmax", **_: object) -> None:
        super().__init__()
        if global_pool not in ("avgmax", "catavgmax"):
            raise ValueError(f"global_pool {global_pool!r}: avgmax or catavgmax")
        self.global_pool = global_pool
        self.stages = nn.ModuleList()
        c = in_chans
        self.feature_info: list[dict[str, object]] = []
        for i, w in enumerate(widths):
            self.stages.append(_stage(c, int(w), convs_per_stage))
            self.feature_info.append({"num_chs": int(w), "reduction": 2 ** (i + 1),
                                      "module": f"stages.{i}"})
            c = int(w)
        self.num_features = 2 * c if global_pool == "catavgmax" else c
        self.head_drop = nn.Dropout(drop_rate)
        self.num_classes = num_classes
        self.fc: nn.Module = (nn.Linear(self.num_features, num_classes) if num_classes > 0
                              else nn.Identity())

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        self.num_classes = num_classes
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)
        return x

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        avg, mx = x.mean(dim=(2, 3)), x.amax(dim=(2, 3))
        x = torch.cat([avg, mx], 1) if self.global_pool == "catavgmax" else 0.5 * (avg + mx)
        x = self.head_drop(x)
        return x if pre_logits else self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def forward_intermediates(self, x: torch.Tensor, indices: int | Sequence[int] | None = None,
                              intermediates_only: bool = False, **_: object
                              ) -> list[torch.Tensor] | tuple[torch.Tensor, list[torch.Tensor]]:
        """timm's contract: the maps after the stages in ``indices`` (default all), finest
        first; with ``intermediates_only`` only them, else (final map, them)."""
        n = len(self.stages)
        if indices is None:
            take = set(range(n))
        elif isinstance(indices, int):
            take = set(range(n - indices, n))
        else:
            take = {i % n for i in indices}
        out = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in take:
                out.append(x)
        return out if intermediates_only else (x, out)


@register_model
def mammofm_cnn_tiny(pretrained: bool = False, **kwargs: object) -> PlainCNN:
    """5 stages of one conv (16-32-64-128-192 channels), stride 32, ~0.3 M parameters."""
    if pretrained:
        raise ValueError("mammofm_cnn_tiny has no published weights; load a mammofm checkpoint")
    kwargs.pop("pretrained_cfg", None)
    kwargs.pop("pretrained_cfg_overlay", None)
    return PlainCNN(**kwargs)  # type: ignore[arg-type]
