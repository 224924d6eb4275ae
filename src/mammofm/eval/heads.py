"""Light heads on frozen features: a seeded two-layer MLP trained with AdamW.

The "light head" protocol sits between a linear probe and fine-tuning: the encoder stays
frozen, a small non-linear head learns on its pooled features (optionally joined with a
condition vector, e.g. a VQA question embedding). Inputs are standardised with the training
statistics; answers may be restricted per row (``allowed``) so a head only picks among the
answers that fit a question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class MLPHead:
    """A fitted head: ``predict_proba(X)`` -> (N, K) class probabilities."""

    module: object
    mean: np.ndarray
    std: np.ndarray
    n_classes: int

    def predict_proba(self, X: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
        import torch

        x = torch.from_numpy(((np.asarray(X, np.float32) - self.mean) / self.std)
                             .astype(np.float32))
        self.module.eval()  # type: ignore[attr-defined]
        with torch.no_grad():
            logits = self.module(x)  # type: ignore[operator]
            if allowed is not None:
                logits = logits.masked_fill(~torch.from_numpy(np.asarray(allowed, bool)),
                                            float("-inf"))
            return torch.softmax(logits, dim=1).numpy().astype(np.float64)


def train_mlp(X: np.ndarray, y: np.ndarray, n_classes: int, *, hidden: int = 64,
              epochs: int = 40, lr: float = 3e-3, weight_decay: float = 1e-2,
              batch_size: int = 64, seed: int = 0, allowed: np.ndarray | None = None,
              dropout: float = 0.1) -> MLPHead:
    """Fit an MLP (D -> hidden -> K) on rows with a known label (NaN labels are dropped).

    ``allowed`` (N, K) bool masks the answers each training row may take (softmax over them).
    """
    import torch
    from torch import nn

    X = np.asarray(X, np.float32)
    y = np.asarray(y, np.float64)
    keep = np.isfinite(y)
    if keep.sum() < 2:
        raise ValueError(f"a light head needs labelled rows; got {int(keep.sum())}")
    Xk, yk = X[keep], y[keep].astype(np.int64)
    mask = None if allowed is None else np.asarray(allowed, bool)[keep]
    mean = Xk.mean(axis=0)
    std = Xk.std(axis=0) + 1e-6
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    module = nn.Sequential(nn.Linear(X.shape[1], hidden), nn.GELU(), nn.Dropout(dropout),
                           nn.Linear(hidden, n_classes))
    opt = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    xt = torch.from_numpy((Xk - mean) / std)
    yt = torch.from_numpy(yk)
    mt = None if mask is None else torch.from_numpy(mask)
    n = len(xt)
    module.train()
    for _ in range(int(epochs)):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            logits = module(xt[idx])
            if mt is not None:
                logits = logits.masked_fill(~mt[idx], float("-inf"))
            loss = nn.functional.cross_entropy(logits, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return MLPHead(module, mean, std, n_classes)
