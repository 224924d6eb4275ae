"""Classification tasks: composition, mass, calcification, malignancy, BI-RADS category.

Each task reads one label column (per breast, given to each of its images), adapts the model
with its protocol on the internal train + val images, and scores the internal test images and
the external site's images, at image level and at breast level (mean probability over the
breast's views): AUC, accuracy, macro-F1, balanced accuracy, each with a bootstrap 95% CI that
resamples patients. Frozen-linear tasks also draw a data-efficiency curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from mammofm.birads.labels import BIRADS_CLASSES, COMPOSITION_CLASSES

from ..base import BenchContext, BenchModel, Curve, Task, TaskError, TaskResult, register_task
from ..features import pooled, require_test_split
from ..metrics.classification import METRICS, bootstrap_ci, classification_metrics


@dataclass(frozen=True)
class LabelSpec:
    """What a classification task predicts: a label column and its class names."""

    name: str
    column: str
    classes: tuple[str, ...]
    description: str
    #: draw the data-efficiency curve (costs one probe fit per training fraction)
    efficiency: bool = True

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2


LABELS: dict[str, LabelSpec] = {s.name: s for s in (
    LabelSpec("composition", "composition_class", COMPOSITION_CLASSES,
              "breast composition (4 classes)"),
    LabelSpec("mass", "mass", ("absent", "present"), "mass present in the breast"),
    LabelSpec("calcification", "calcification", ("absent", "present"),
              "calcifications present in the breast"),
    LabelSpec("malignancy", "malignant", ("benign", "malignant"), "malignant breast"),
    LabelSpec("birads", "birads_class", BIRADS_CLASSES, "BI-RADS assessment category",
              efficiency=False),  # 10 sparse classes: refits are slow and the curve is noise
)}


# --- protocols: fit on training features/images, return a scorer of test rows -------------
def _fit_frozen_linear(spec: LabelSpec, X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    """``mammofm.adapt.linear_probe`` fitted once on the training rows; the returned scorer
    maps the probe's probabilities to class-index columns exactly as ``linear_probe`` does."""
    from mammofm.adapt import linear_probe

    keep = np.isfinite(y)
    classes = np.unique(y[keep]).astype(int)
    if len(classes) < 2:
        raise TaskError(f"{spec.name}: the training labels hold one class only "
                        f"({classes.tolist()}); a probe cannot be fitted")
    k = len(spec.classes)
    probe = linear_probe(X, y, X[:1], seed=seed, C=0.5, n_classes=k)

    def score(Xt: np.ndarray) -> np.ndarray:
        proba = probe.pipeline.predict_proba(np.asarray(Xt))
        if probe.binary:
            return proba[:, list(probe.classes).index(1)]
        out = np.zeros((len(proba), k), dtype=np.float64)
        out[:, probe.classes] = proba
        return out

    return score


def _fit_light_head(spec: LabelSpec, X: np.ndarray, y: np.ndarray, seed: int,
                    ctx: BenchContext, task: str) -> Any:
    from ..heads import train_mlp

    b = ctx.budget
    head = train_mlp(X, y, len(spec.classes), epochs=b.get("head_epochs", task=task),
                     lr=b.get("head_lr", task=task), seed=seed)

    def score(Xt: np.ndarray) -> np.ndarray:
        p = head.predict_proba(Xt)
        return p[:, 1] if spec.binary else p

    return score


class ClassificationTask(Task):
    """One label, one protocol; see the module docstring."""

    category = "classification"

    def __init__(self, spec: LabelSpec, protocol: str = "frozen_linear",
                 name: str | None = None) -> None:
        self.spec = spec
        self.protocol = protocol  # type: ignore[misc]
        self.name = name or spec.name  # type: ignore[misc]
        self.primary = "auc"  # type: ignore[misc]
        self.description = spec.description  # type: ignore[misc]

    # -- adaptation ------------------------------------------------------------------------
    def _train_rows(self, model: BenchModel, ctx: BenchContext) -> tuple[Any, np.ndarray]:
        feats = pooled(model, ctx, "internal")
        train = feats.subset(feats.frame["split"].isin(["train", "val"]).to_numpy())
        y = train.labels(self.spec.column)
        cap = ctx.budget.max_train_images
        if cap is not None and len(train) > cap:
            rng = np.random.default_rng(ctx.seed_for(self.name, "cap"))
            keep = np.zeros(len(train), bool)
            keep[rng.choice(len(train), cap, replace=False)] = True
            train, y = train.subset(keep), y[keep]
        if np.isfinite(y).sum() < 4:
            raise TaskError(f"{self.name}: only {int(np.isfinite(y).sum())} training images "
                            f"have a {self.spec.column} label")
        return train, y

    def _scorer(self, model: BenchModel, ctx: BenchContext) -> Any:
        seed = ctx.seed_for(self.name, model.name)
        if self.protocol == "frozen_linear":
            train, y = self._train_rows(model, ctx)
            fit = _fit_frozen_linear(self.spec, train.X, y, seed)
            return lambda site: _on_site(fit, pooled(model, ctx, site))
        if self.protocol == "light_head":
            train, y = self._train_rows(model, ctx)
            fit = _fit_light_head(self.spec, train.X, y, seed, ctx, self.name)
            return lambda site: _on_site(fit, pooled(model, ctx, site))
        if self.protocol == "finetune":
            from ..protocols import finetune_scorer

            return finetune_scorer(self.spec, model, ctx, self.name, seed)
        if self.protocol == "zero_shot":
            from ..protocols import zero_shot_scorer

            return zero_shot_scorer(self.spec, model, ctx)
        raise TaskError(f"{self.name}: unknown protocol {self.protocol!r}")

    # -- measurement -----------------------------------------------------------------------
    def run(self, model: BenchModel, ctx: BenchContext) -> TaskResult:
        require_test_split(ctx, self.name)
        scorer = self._scorer(model, ctx)
        per_site: dict[str, tuple[dict[str, float], dict[str, tuple[float, float]]]] = {}
        curves: dict[str, Curve] = {}
        for site, _ in ctx.sites():
            frame, scores = scorer(site)
            y = _labels(frame, self.spec.column)
            metrics, cis = self._measure(frame, y, scores, ctx, site)
            per_site[site] = (metrics, cis)
            if self.spec.binary:
                roc = _roc(y, scores)
                if roc is not None:
                    curves["roc" if site == "internal" else f"{site}/roc"] = roc
        if self.protocol == "frozen_linear" and self.spec.efficiency:
            eff = self._data_efficiency(model, ctx)
            if eff is not None:
                curves["data_efficiency"] = eff
        metrics, cis = per_site["internal"]
        ext, ext_ci = per_site.get("external", ({}, {}))
        n = int(metrics["n_images"])
        return TaskResult(metrics=metrics, primary=self.primary, ci=cis, external=ext,
                          external_ci=ext_ci, curves=curves,
                          notes=f"{self.protocol}; {n} labelled internal test images")

    def _measure(self, frame: Any, y: np.ndarray, scores: np.ndarray, ctx: BenchContext,
                 site: str) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
        from mammofm.adapt import per_breast

        b = ctx.budget.bootstrap
        seed = ctx.seed_for(self.name, site, "bootstrap")
        groups = frame["patient_id"].astype(str).to_numpy() if "patient_id" in frame else None
        metrics = classification_metrics(y, scores)
        cis = bootstrap_ci(y, scores, n_resamples=b, seed=seed, groups=groups)
        breasts, bscores = per_breast(frame, scores, [self.spec.column])
        by = _labels(breasts, self.spec.column)
        bgroups = (breasts["patient_id"].astype(str).to_numpy()
                   if "patient_id" in breasts else None)
        bm = classification_metrics(by, bscores)
        bci = bootstrap_ci(by, bscores, n_resamples=b, seed=seed + 1, groups=bgroups)
        metrics.update({f"breast_{k}": v for k, v in bm.items()})
        cis.update({f"breast_{k}": v for k, v in bci.items()})
        metrics["n_images"] = float(np.isfinite(y).sum())
        return metrics, cis

    def _data_efficiency(self, model: BenchModel, ctx: BenchContext) -> Curve | None:
        from sklearn.model_selection import train_test_split

        train, y = self._train_rows(model, ctx)
        test = pooled(model, ctx, "internal")
        test = test.subset((test.frame["split"] == "test").to_numpy())
        yt = test.labels(self.spec.column)
        keep = np.isfinite(y)
        Xk, yk = train.X[keep], y[keep]
        xs, ys = [], []
        for frac in ctx.budget.data_fractions:
            seed = ctx.seed_for(self.name, model.name, "efficiency", frac)
            if frac >= 1.0:
                Xs, ysub = Xk, yk
            else:
                try:
                    Xs, _, ysub, _ = train_test_split(Xk, yk, train_size=frac, stratify=yk,
                                                      random_state=seed % (2**31))
                except ValueError:  # too few rows of some class for this fraction
                    continue
            try:
                fit = _fit_frozen_linear(self.spec, Xs, ysub, seed)
            except TaskError:
                continue
            xs.append(float(len(ysub)))
            ys.append(classification_metrics(yt, fit(test.X))[self.primary])
        if len(xs) < 2:
            return None
        return Curve("data_efficiency", xs, ys, xlabel="labelled training images",
                     ylabel=f"test {self.primary.upper()}")


def _on_site(fit: Any, feats: Any) -> tuple[Any, np.ndarray]:
    test = feats.subset((feats.frame["split"] == "test").to_numpy())
    return test.frame, fit(test.X)


def _labels(frame: Any, column: str) -> np.ndarray:
    import pandas as pd

    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)


def _roc(y: np.ndarray, scores: np.ndarray) -> Curve | None:
    from sklearn.metrics import roc_curve

    keep = np.isfinite(y)
    if len(np.unique(y[keep])) < 2:
        return None
    fpr, tpr, _ = roc_curve(y[keep].astype(int), np.asarray(scores)[keep])
    auc = classification_metrics(y, scores)["auc"]
    return Curve("roc", fpr.tolist(), tpr.tolist(), xlabel="false positive rate",
                 ylabel="true positive rate", label=f"AUC {auc:.3f}")


# --- the registry lines ---------------------------------------------------------------------
#: (task name, label, protocol): the classification tasks of the benchmark
CLASSIFICATION_TASKS: tuple[tuple[str, str, str], ...] = (
    ("composition", "composition", "frozen_linear"),
    ("mass", "mass", "frozen_linear"),
    ("calcification", "calcification", "frozen_linear"),
    ("malignancy", "malignancy", "frozen_linear"),
    ("birads", "birads", "frozen_linear"),
    ("mass_light_head", "mass", "light_head"),
    ("malignancy_finetune", "malignancy", "finetune"),
    ("composition_zero_shot", "composition", "zero_shot"),
    ("mass_zero_shot", "mass", "zero_shot"),
)

for _name, _label, _protocol in CLASSIFICATION_TASKS:
    register_task(partial(ClassificationTask, LABELS[_label], _protocol, _name), name=_name,
                  category="classification", protocol=_protocol,
                  description=f"{LABELS[_label].description} ({_protocol.replace('_', ' ')})")

__all__ = ["CLASSIFICATION_TASKS", "LABELS", "ClassificationTask", "LabelSpec", "METRICS"]
