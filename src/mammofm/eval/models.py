"""The models a benchmark judges: saved model folders or registry names ("scratch").

``--models`` takes comma-separated specs; each is ``[LABEL=]FOLDER`` (a saved model folder,
loaded strictly and offline) or ``[LABEL=]NAME`` (a registered config, built with random
weights: the "scratch" baseline). A model that cannot be loaded becomes a BenchModel whose
``load_error`` says why, so the benchmark reports it on every task and goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .base import BenchModel


def parse_specs(spec: str) -> list[tuple[str | None, str]]:
    """"A,lbl=B" -> [(None, "A"), ("lbl", "B")]."""
    out: list[tuple[str | None, str]] = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        label, _, target = part.rpartition("=")
        out.append((label.strip() or None, target.strip()))
    if not out:
        raise ValueError(f"no model in {spec!r}")
    return out


def wrap(model: object, name: str, source: str) -> BenchModel:
    """A loaded nn.Module as a BenchModel: CLIP models give both towers, others an image tower."""
    if hasattr(model, "encode_text") and hasattr(model, "visual"):
        return BenchModel(name, model.visual, model, source)  # type: ignore[attr-defined]
    return BenchModel(name, model, None, source)


def load_bench_model(target: str, label: str | None = None, *, seed: int = 0,
                     text_corpus: Iterable[str] | None = None) -> BenchModel:
    """Load a folder or build a scratch model from a registry name (see the module doc).

    ``text_corpus`` trains a scratch model's tokenizer (not weights), so it reads the same
    words the pretrained model did.
    """
    path = Path(target)
    try:
        if path.is_dir():
            from mammofm.models import load_model

            model = load_model(path)
            return wrap(model, label or path.name, str(path))
        if path.suffix == ".json" or "/" in target:
            if not path.exists():
                raise FileNotFoundError(f"{path}: model folder not found")
        from mammofm.models import create_model, list_models

        if target not in list_models():
            raise KeyError(f"{target!r} is neither a model folder nor a registered model "
                           f"({', '.join(list_models())})")
        corpus = list(text_corpus) if text_corpus is not None else None
        model = create_model(target, seed=seed, text_corpus=corpus)
        model.eval()
        return wrap(model, label or f"{target}-scratch", f"scratch:{target}")
    except Exception as exc:  # reported per task by the runner
        msg = f"cannot load model {target}: {type(exc).__name__}: {exc}".splitlines()[0]
        return BenchModel(label or path.name or target, None, None, target, load_error=msg)
