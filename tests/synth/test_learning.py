"""The cohort carries signal: models trained on generated images learn mass presence,
calcification presence and composition on held-out patients, and density hides lesions.

Cheap by design (2 CPU cores): CC views rendered at 256x160 in memory with the generator's
own renderer, a fixed multi-scale filter bank (difference of Gaussians, white top-hat,
intensity quantiles) pooled over the breast, and scikit-learn logistic regression; fixed
seeds, patients split 70/30. Margins are set well below the observed figures (in comments).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mammofm.birads import exam_labels
from mammofm.synth import PREVALENCES, SITES, sample_patient
from mammofm.synth.render import acquisition_choices, render_view

SEED, SIZE, N_PATIENTS, PATCH = 11, (256, 160), 260, 24


def _display(rv) -> np.ndarray:
    """Stored pixels -> [0, 1] display in the canonical frame (first window, MONO1 inverted)."""
    pr = rv.presentation
    w = pr.windows[0]
    v = np.clip((pr.pixels.astype(np.float32) - (w.center - w.width / 2)) / w.width, 0, 1)
    if pr.photometric == "MONOCHROME1":
        v = 1 - v
    return np.ascontiguousarray(v[:, ::-1] if rv.flipped_to_store else v)


@pytest.fixture(scope="module")
def views():
    site = SITES["mixed"]
    images, labels, groups, masks = [], [], [], []
    for i in range(N_PATIENTS):
        plan = sample_patient(SEED, i, PREVALENCES["enriched"])
        labs = exam_labels(plan.exam)
        for lat in "LR":
            rv = render_view(plan.breasts[lat], "CC", SIZE, site,
                             acquisition_choices(site, SEED, (i, lat, "CC")))
            m = {"mass": np.zeros(SIZE, bool), "calcification": np.zeros(SIZE, bool)}
            for les in rv.lesions:
                if les.finding.kind.value in m:
                    m[les.finding.kind.value] |= les.mask[:, ::-1] if rv.flipped_to_store else les.mask
            images.append(_display(rv))
            masks.append(m)
            lab = labs[lat]
            labels.append((lab.mass, lab.calcification, lab.composition_class))
            groups.append(i)
    return np.stack(images), np.array(labels), np.array(groups), masks


def _global_features(v: np.ndarray) -> list[float]:
    breast = cv2.erode((v > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    vals = v[breast]
    f = list(np.percentile(vals, [10, 25, 50, 75, 90])) + [float((vals > t).mean()) for t in (0.4, 0.5, 0.6, 0.7)]
    for s1, s2 in ((0.7, 2), (1.5, 4), (3, 7), (5, 11)):
        d = (cv2.GaussianBlur(v, (0, 0), s1) - cv2.GaussianBlur(v, (0, 0), s2))[breast]
        f += [d.max(), np.percentile(d, 99.5), np.percentile(d, 99), d.std()]
    th = (v - cv2.morphologyEx(v, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)))[breast]
    f += [th.max(), np.percentile(th, 99.9), np.percentile(th, 99.5), (th > 0.08).mean(), (th > 0.15).mean()]
    return f


def _patch_features(p: np.ndarray) -> list[float]:
    c = p[PATCH // 2 - 5:PATCH // 2 + 5, PATCH // 2 - 5:PATCH // 2 + 5]
    f = [p.mean(), p.std(), c.mean() - p.mean(), c.std()]
    for s1, s2 in ((1, 2.5), (2, 5), (3.5, 8)):
        d = cv2.GaussianBlur(p, (0, 0), s1) - cv2.GaussianBlur(p, (0, 0), s2)
        f += [d[PATCH // 2 - 4:PATCH // 2 + 4, PATCH // 2 - 4:PATCH // 2 + 4].mean(), d.max(), d.std()]
    th = p - cv2.morphologyEx(p, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return f + [th.max(), (th > 0.08).mean()]


def _lr():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=0.3))


def test_image_level_presence_and_composition_are_learnable(views):
    images, y, groups, _ = views
    feats = np.array([_global_features(v) for v in images])
    train = groups < int(N_PATIENTS * 0.7)
    test = ~train
    aucs = {}
    for k, name in ((0, "mass"), (1, "calcification")):
        clf = _lr().fit(feats[train], y[train, k])
        aucs[name] = roc_auc_score(y[test, k], clf.predict_proba(feats[test])[:, 1])
    comp = _lr().fit(feats[train], y[train, 2]).predict(feats[test])
    acc = float((comp == y[test, 2]).mean())
    majority = np.bincount(y[train, 2]).argmax()
    baseline = float((y[test, 2] == majority).mean())
    within_one = float((np.abs(comp - y[test, 2]) <= 1).mean())
    print(f"image level: AUC {aucs}, composition accuracy {acc:.3f} vs majority {baseline:.3f}")
    # observed: mass 0.72, calcification 0.81, composition 0.64 vs majority 0.46
    assert aucs["mass"] > 0.6, aucs
    assert aucs["calcification"] > 0.72, aucs
    assert acc > baseline + 0.1, (acc, baseline)
    assert within_one > 0.9


def test_lesions_are_recognisable_where_they_are(views):
    """Patch level: a patch on a lesion vs patches elsewhere in the breast (held-out patients)."""
    images, _, groups, masks = views
    r = np.random.default_rng(0)
    half = PATCH // 2
    h, w = SIZE
    for kind, floor in (("mass", 0.8), ("calcification", 0.72)):  # observed 0.93 / 0.88
        data: dict[bool, list[tuple[list[float], int]]] = {True: [], False: []}
        for i, v in enumerate(images):
            split = bool(groups[i] < int(N_PATIENTS * 0.7))
            m = masks[i][kind]
            inner = cv2.erode((v > 0.02).astype(np.uint8), np.ones((PATCH + 1, PATCH + 1), np.uint8)) > 0
            if m.any():
                ys, xs = np.nonzero(m)
                cy = int(np.clip(ys.mean() + r.integers(-3, 4), half, h - half))
                cx = int(np.clip(xs.mean() + r.integers(-3, 4), half, w - half))
                data[split].append((_patch_features(v[cy - half:cy + half, cx - half:cx + half]), 1))
            away = inner & ~(cv2.dilate(m.astype(np.uint8), np.ones((PATCH, PATCH), np.uint8)) > 0)
            cand = np.argwhere(away)
            for cy, cx in cand[r.choice(len(cand), min(2, len(cand)), replace=False)]:
                cy, cx = int(np.clip(cy, half, h - half)), int(np.clip(cx, half, w - half))
                data[split].append((_patch_features(v[cy - half:cy + half, cx - half:cx + half]), 0))
        xt, yt = map(np.array, zip(*data[True]))
        xe, ye = map(np.array, zip(*data[False]))
        auc = roc_auc_score(ye, _lr().fit(xt, yt).predict_proba(xe)[:, 1])
        print(f"patch level {kind}: AUC {auc:.3f} ({int(ye.sum())} lesion patches held out)")
        assert ye.sum() >= 15 and auc > floor, (kind, auc)


def test_dense_tissue_hides_the_same_mass():
    """Controlled: the same breasts and masses rendered fatty vs extremely dense."""
    site = SITES["site-a"]
    fatty, dense = [], []
    i = 0
    while len(fatty) < 12:
        plan = sample_patient(SEED + 1, i, PREVALENCES["enriched"])
        i += 1
        for lat in "LR":
            bp = plan.breasts[lat]
            if not any(f.kind.value == "mass" and f.density.value != "fat_containing"
                       for f in bp.findings):
                continue
            acq = acquisition_choices(site, 0, (i, lat))
            for store, frac in ((fatty, 0.08), (dense, 0.8)):
                bp.gland_fraction = frac
                rv = render_view(bp, "CC", SIZE, site, acq)
                store.append(max(l.conspicuity for l in rv.lesions if l.finding.kind.value == "mass"))
    fatty, dense = np.array(fatty), np.array(dense)
    print(f"mass conspicuity median fatty {np.median(fatty):.2f} dense {np.median(dense):.2f}")
    assert np.median(dense) < 0.7 * np.median(fatty), (fatty, dense)  # observed 0.52x
    assert (dense < fatty).mean() >= 0.75


def test_lesion_gain_scales_conspicuity_and_nothing_else():
    """``lesion_gain`` multiplies what findings add: same anatomy outside the lesions, and the
    lesion's contrast over its surroundings grows with the gain."""
    site = SITES["mixed"]
    for i in range(40):
        plan = sample_patient(SEED, i, PREVALENCES["enriched"])
        bp = plan.breasts["L"]
        if any(f.kind.value == "mass" and f.density.value != "fat_containing" for f in bp.findings):
            break
    else:
        raise AssertionError("no patient with a mass in the first 40")
    acq = acquisition_choices(site, SEED, (i, "L", "CC"))
    one = render_view(bp, "CC", SIZE, site, acq)
    three = render_view(bp, "CC", SIZE, site, acq, lesion_gain=3.0)
    c1 = max(l.conspicuity for l in one.lesions if l.finding.kind.value == "mass")
    c3 = max(l.conspicuity for l in three.lesions if l.finding.kind.value == "mass")
    assert c3 > 2.0 * c1, (c1, c3)
    away = one.breast_mask.copy()
    for les in one.lesions:
        grown = cv2.dilate(les.mask.astype(np.uint8), np.ones((31, 31), np.uint8)) > 0
        away &= ~grown
    a = one.presentation.pixels[away].astype(np.float64)
    b = three.presentation.pixels[away].astype(np.float64)
    assert away.sum() > 1000 and np.corrcoef(a, b)[0, 1] > 0.95


def test_a_non_positive_lesion_gain_is_refused_before_writing(tmp_path):
    from mammofm.synth import generate_cohort

    with pytest.raises(ValueError, match="lesion_gain must be > 0"):
        generate_cohort(tmp_path / "c", patients=1, lesion_gain=0.0, progress=False)
    assert not (tmp_path / "c").exists()
