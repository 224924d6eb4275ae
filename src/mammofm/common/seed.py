"""Deterministic seeding: one integer seeds Python, NumPy and (if loaded) torch."""

from __future__ import annotations

import hashlib
import random
import sys

import numpy as np


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)


def derive_seed(seed: int, *keys: object) -> int:
    """A stable 63-bit child seed from a parent seed and any keys (e.g. patient index, 'mass')."""
    h = hashlib.blake2b(repr((seed, *keys)).encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") & ((1 << 63) - 1)


def rng(seed: int, *keys: object) -> np.random.Generator:
    """A NumPy generator for one purpose, independent of every other purpose's stream."""
    return np.random.default_rng(derive_seed(seed, *keys))
