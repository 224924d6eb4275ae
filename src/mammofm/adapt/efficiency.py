"""Data-efficiency curves: how a read-out's held-out metric grows with the share of labels.

Training patients (never images: views and breasts of one patient stay together) are drawn
at each fraction for several seeds; each draw trains a read-out (the linear probe by default,
or any ``fit_score`` callable, e.g. fine-tuning) and is scored per breast on the fixed test
set with a seeded bootstrap CI. Results are a tidy table plus a PNG.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mammofm.common.atomic import atomic_path
from mammofm.common.seed import rng

from .aggregate import per_breast
from .bootstrap import bootstrap_ci
from .features import Features
from .probe import linear_probe

DEFAULT_FRACTIONS: tuple[float, ...] = (0.01, 0.1, 0.5, 1.0)

#: fit on training rows selected by a boolean mask; return scores of the test rows
FitScore = Callable[[np.ndarray], np.ndarray]


def patient_subset(frame: pd.DataFrame, fraction: float, seed: int, label: str | None = None,
                   max_tries: int = 50) -> np.ndarray:
    """Boolean mask of the rows of a random ``fraction`` of patients (at least one patient).

    With ``label``, draws are repeated (seeded) until the subset holds two known classes, so a
    1 % draw still trains something; the mask is the same for the same seed.
    """
    patients = pd.unique(frame["patient_id"].astype(str))
    k = max(1, int(round(fraction * len(patients))))
    pid = frame["patient_id"].astype(str).to_numpy()
    y = None if label is None else pd.to_numeric(frame[label], errors="coerce").to_numpy(float)
    mask = np.zeros(len(frame), bool)
    for attempt in range(max_tries):
        chosen = rng(seed, "patient_subset", fraction, attempt).choice(
            patients, size=min(k, len(patients)), replace=False)
        mask = np.isin(pid, chosen)
        if y is None or len(np.unique(y[mask][~np.isnan(y[mask])])) >= 2:
            return mask
        k = min(len(patients), k + 1)  # too few patients for two classes: widen the draw
    return mask


def probe_fit_score(train: Features, test: Features, label: str, n_classes: int | None = None,
                    seed: int = 0) -> FitScore:
    y = train.labels(label)
    patients = train.frame["patient_id"].astype(str).to_numpy()

    def fit(mask: np.ndarray) -> np.ndarray:  # C chosen on the subset, folds by patient
        return linear_probe(train.X[mask], y[mask], test.X, seed=seed, n_classes=n_classes,
                            groups=patients[mask]).scores
    return fit


def data_efficiency(
    train: Features,
    test: Features,
    label: str,
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seeds: Sequence[int] = (0, 1, 2),
    fit_score: FitScore | None = None,
    n_classes: int | None = None,
    n_resamples: int = 1000,
    name: str = "probe",
) -> pd.DataFrame:
    """One row per (fraction, seed): patients, images, metric and its bootstrap CI."""
    fit = fit_score or probe_fit_score(train, test, label, n_classes)
    rows = []
    for frac in fractions:
        for seed in seeds:
            mask = patient_subset(train.frame, frac, seed, label)
            scores = fit(mask)
            breasts, b_scores = per_breast(test.frame, scores, [label])
            y = pd.to_numeric(breasts[label], errors="coerce").to_numpy(float)
            ci = bootstrap_ci(y, b_scores, n_resamples=n_resamples, seed=seed)
            rows.append({
                "readout": name, "label": label, "fraction": float(frac), "seed": int(seed),
                "n_patients": int(train.frame["patient_id"][mask].nunique()),
                "n_images": int(mask.sum()), "metric": ci.point, "ci_low": ci.low,
                "ci_high": ci.high,
            })
    return pd.DataFrame(rows)


def summarize(curves: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds per (readout, label, fraction), with the mean CI bounds and seed spread."""
    g = curves.groupby(["readout", "label", "fraction"], sort=True)
    return g.agg(metric=("metric", "mean"), seed_std=("metric", "std"),
                 ci_low=("ci_low", "mean"), ci_high=("ci_high", "mean"),
                 n_patients=("n_patients", "mean"), n_seeds=("seed", "nunique")).reset_index()


def plot_curves(curves: pd.DataFrame, path: str | os.PathLike[str], title: str = ""
                ) -> Path:
    """Metric vs label fraction (log x), one line per readout and label, CI band; PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarize(curves)
    labels = list(dict.fromkeys(summary["label"]))
    fig, axes = plt.subplots(1, len(labels), figsize=(4.5 * len(labels), 3.6), squeeze=False)
    for ax, lab in zip(axes[0], labels):
        part = summary[summary["label"] == lab]
        for readout, g in part.groupby("readout", sort=False):
            (line,) = ax.plot(g["fraction"] * 100, g["metric"], marker="o", label=str(readout))
            ax.fill_between(g["fraction"] * 100, g["ci_low"], g["ci_high"], alpha=0.2,
                            color=line.get_color())
        ax.set_xscale("log")
        ax.set_xlabel("% of training labels (patients)")
        ax.set_ylabel("held-out metric (per breast)")
        ax.set_title(lab)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
