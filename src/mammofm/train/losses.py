"""The Mammo-CLIP loss: image-text contrast with several positives, plus image-image and
text-text terms. Returns named losses and gathers across processes itself.

Positives are defined by group ids (one group = one breast): every image of a breast (its CC
and its MLO) is a positive of that breast's text and of the other image, so each row of a
similarity matrix has a target distribution spread evenly over its positives (multi-positive
InfoNCE). The text-text term contrasts two augmented versions of each breast's text.

Optional label keys (int64, one per row; -1 = none) widen the positives: rows of different
breasts with the same key (the same composition and findings read from their texts, see
``positives``) are positives too, in every term, instead of false negatives.

Under DDP every process computes the loss of the whole gathered batch but back-propagates only
through its own rows; DDP's gradient averaging then gives the full-batch gradient / world size
(a constant factor the optimiser's learning rate absorbs; open_clip does the same).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .distributed import gather_rows


def multi_positive_ce(logits: torch.Tensor, positives: torch.Tensor,
                      exclude: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over rows with >= 1 positive of cross-entropy against the uniform distribution over
    that row's positives; ``exclude`` entries (e.g. self-pairs) are neither positive nor
    negative. logits, positives, exclude: (N, M). Computed in float32."""
    logits = logits.float()
    if exclude is not None:
        positives = positives & ~exclude
        logits = logits.masked_fill(exclude, float("-inf"))
    count = positives.sum(1)
    valid = count > 0
    if not bool(valid.any()):
        return logits.masked_fill(torch.isinf(logits), 0.0).sum() * 0.0
    pos = positives[valid]
    logp = F.log_softmax(logits[valid], dim=1)
    per_row = torch.where(pos, logp, torch.zeros_like(logp)).sum(1) / count[valid]
    return -per_row.mean()


def _same(groups_a: torch.Tensor, groups_b: torch.Tensor, keys_a: torch.Tensor | None,
          keys_b: torch.Tensor | None) -> torch.Tensor:
    """(Na, Nb) bool: same breast, or the same (known) label key."""
    same = groups_a[:, None] == groups_b[None, :]
    if keys_a is not None and keys_b is not None:
        same = same | ((keys_a[:, None] == keys_b[None, :]) & (keys_a[:, None] >= 0))
    return same


class ClipLoss(nn.Module):
    """``forward(image_embeds, image_groups, text_embeds, text_groups, logit_scale,
    text_embeds_2=None, image_keys=None, text_keys=None)`` -> {"contrastive_loss",
    "image_image_loss", "text_text_loss", "loss"}.

    Embeddings are L2-normalised (B, E); groups are int64 breast ids, unique across processes
    (the caller offsets them, e.g. by rank); ``text_embeds_2`` is a second augmented view of the
    same texts (same groups) for the text-text term.
    """

    def __init__(self, image_image_weight: float = 1.0, text_text_weight: float = 1.0) -> None:
        super().__init__()
        self.image_image_weight = float(image_image_weight)
        self.text_text_weight = float(text_text_weight)

    def forward(self, image_embeds: torch.Tensor, image_groups: torch.Tensor,
                text_embeds: torch.Tensor, text_groups: torch.Tensor, logit_scale: torch.Tensor,
                text_embeds_2: torch.Tensor | None = None,
                image_keys: torch.Tensor | None = None,
                text_keys: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        img, _ = gather_rows(image_embeds)                  # (Ni, E)
        txt, _ = gather_rows(text_embeds)                   # (Nt, E)
        gi, _ = gather_rows(image_groups)
        gt, _ = gather_rows(text_groups)
        ki = gather_rows(image_keys)[0] if image_keys is not None else None
        kt = gather_rows(text_keys)[0] if text_keys is not None else None
        same_it = _same(gi, gt, ki, kt)                     # (Ni, Nt)
        logits = logit_scale * img @ txt.t()
        contrastive = 0.5 * (multi_positive_ce(logits, same_it)
                             + multi_positive_ce(logits.t(), same_it.t()))
        out = {"contrastive_loss": contrastive}
        total = contrastive
        if self.image_image_weight:
            same_ii = _same(gi, gi, ki, ki)
            eye = torch.eye(len(gi), dtype=torch.bool, device=gi.device)
            ii = logit_scale * img @ img.t()
            out["image_image_loss"] = multi_positive_ce(ii, same_ii, exclude=eye)
            total = total + self.image_image_weight * out["image_image_loss"]
        if self.text_text_weight and text_embeds_2 is not None:
            txt2, _ = gather_rows(text_embeds_2)
            tt = logit_scale * txt @ txt2.t()
            same_tt = _same(gt, gt, kt, kt)
            out["text_text_loss"] = 0.5 * (multi_positive_ce(tt, same_tt)
                                           + multi_positive_ce(tt.t(), same_tt.t()))
            total = total + self.text_text_weight * out["text_text_loss"]
        out["loss"] = total
        return out
