"""Training speed of a CLIP model: images per second of full optimiser steps (image tower, text
tower, ClipLoss, backward, AdamW) on random images and short texts.

``measure_train_throughput`` gives one figure; ``compare_precisions`` gives the fp32-eager
baseline beside bf16 autocast, bf16 + channels_last and (optionally) torch.compile, on a GPU when
there is one and on the CPU otherwise. ``python -m mammofm.train.throughput`` prints both.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import warnings
from typing import Any

import torch

from .losses import ClipLoss

_PRECISIONS = {"32-true": None, "32": None, "fp32": None, "bf16-mixed": torch.bfloat16,
               "bf16": torch.bfloat16, "16-mixed": torch.float16, "fp16": torch.float16}
_TEXTS = ("scattered areas of fibroglandular density", "irregular mass with spiculated margins",
          "no suspicious calcifications", "grouped amorphous calcifications in the upper outer")


def _device(device: str | None) -> torch.device:
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def measure_train_throughput(model_name: str = "mammoclip-tiny",
                             image_size: tuple[int, int] = (256, 160), batch_size: int = 16,
                             steps: int = 5, precision: str = "32-true", *,
                             channels_last: bool = False, compile: bool = False,
                             device: str | None = None, warmup: int = 2, seed: int = 0,
                             model_overrides: dict[str, Any] | None = None,
                             clock: str = "wall") -> float:
    """Images per second over ``steps`` timed training steps (after ``warmup`` untimed ones).
    ``batch_size`` images = ``batch_size // 2`` breasts of two views, one text per breast.

    ``clock="wall"`` is the real rate. On a CPU shared with other jobs, ``clock="cpu"`` counts
    this process's CPU time divided by torch's thread count instead: an estimate of the rate the
    same cores would give unshared (it assumes the threads keep busy; CPU devices only)."""
    if precision not in _PRECISIONS:
        raise ValueError(f"precision {precision!r} not one of {', '.join(_PRECISIONS)}")
    dev = _device(device)
    dtype = _PRECISIONS[precision]
    model = _build(model_name, tuple(image_size), seed, model_overrides).to(dev).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    visual = torch.compile(model.visual) if compile else model.visual
    loss_fn = ClipLoss()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(dev.type) if dtype == torch.float16 else None
    g = torch.Generator().manual_seed(seed)
    breasts = max(1, batch_size // 2)
    n_img = breasts * 2
    images = torch.rand(n_img, model.visual.in_chans, *image_size, generator=g).to(dev)
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    texts = [_TEXTS[i % len(_TEXTS)] for i in range(breasts)]
    groups_t = torch.arange(breasts, device=dev)
    groups_i = groups_t.repeat_interleave(2)

    def step() -> None:
        ctx = torch.autocast(dev.type, dtype=dtype) if dtype is not None \
            else contextlib.nullcontext()
        with ctx:
            img = torch.nn.functional.normalize(model.image_projection(visual(images)), dim=-1)
            txt = model.encode_text(texts)
            loss = loss_fn(img, groups_i, txt, groups_t, model.scale(), txt)["loss"]
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    for _ in range(warmup):
        step()
    sync()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    sync()
    if clock == "cpu":
        return n_img * steps / ((time.process_time() - c0) / torch.get_num_threads())
    return n_img * steps / (time.perf_counter() - t0)


def _build(name: str, image_size: tuple[int, int], seed: int,
           overrides: dict[str, Any] | None) -> Any:
    """The model to time. A hub text tower that is not cached (Bio_ClinicalBERT of the b2/b5
    configs) is swapped for the small BERT with a warning: the image tower dominates the cost."""
    from mammofm.models import ModelConfigError, create_model, get_config

    overrides = dict(overrides or {})
    try:
        return create_model(name, seed=seed, image_size=image_size, **overrides)
    except ModelConfigError as exc:
        cfg = get_config(name)
        if cfg.text.kind != "hf" or "text" in overrides:
            raise
        warnings.warn(f"{name}: text tower {cfg.text.source!r} not available offline ({exc}); "
                      "timing with the small bert-small text tower instead", stacklevel=3)
        overrides["text"] = {"kind": "bert-small", "source": None}
        return create_model(name, seed=seed, image_size=image_size, **overrides)


def compare_precisions(model_name: str = "mammoclip-tiny", image_size: tuple[int, int] = (256, 160),
                       batch_size: int = 16, steps: int = 5, *, device: str | None = None,
                       with_compile: bool = False, model_overrides: dict[str, Any] | None = None,
                       clock: str = "wall", warmup: int = 2) -> dict[str, float]:
    """Images/s of fp32 eager (the baseline) and the fast settings, on one device."""
    runs = {"fp32-eager": dict(precision="32-true"),
            "bf16": dict(precision="bf16-mixed"),
            "bf16+channels_last": dict(precision="bf16-mixed", channels_last=True)}
    if with_compile:
        runs["bf16+channels_last+compile"] = dict(precision="bf16-mixed", channels_last=True,
                                                  compile=True)
    return {name: measure_train_throughput(model_name, image_size, batch_size, steps,
                                           device=device, model_overrides=model_overrides,
                                           clock=clock, warmup=warmup,
                                           **kw)  # type: ignore[arg-type]
            for name, kw in runs.items()}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="mammoclip-tiny")
    p.add_argument("--size", default="256x160", help="HxW")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--device", default=None)
    p.add_argument("--compile", action="store_true")
    a = p.parse_args(argv)
    h, w = (int(v) for v in a.size.lower().split("x"))
    dev = _device(a.device)
    res = compare_precisions(a.model, (h, w), a.batch_size, a.steps, device=str(dev),
                             with_compile=a.compile)
    base = res["fp32-eager"]
    print(f"{a.model} training at {h}x{w}, batch {a.batch_size}, {dev.type}, "
          f"{torch.get_num_threads()} threads")
    for name, v in res.items():
        print(f"  {name:28s} {v:8.1f} images/s  ({v / base:4.2f}x the fp32-eager baseline)")


if __name__ == "__main__":
    main()
