"""Label-aware positives for CLIP pretraining: breasts whose texts state the same things.

Screening reports are templated: in a batch, many breasts read "heterogeneously dense, no
suspicious findings" in all but wording. Plain CLIP treats each of them as a negative of every
other, so the loss pushes apart images that nothing tells apart and spends its signal on
report style. As in UniCL and MedCLIP, texts are read into structure (here by mammofm's own
report parser) and breasts with the same composition and the same finding kinds become
positives of each other; what differs between them — a mass, a calcification — is then what the
contrast has left to learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mammofm.birads.labels import breast_labels

#: the per-breast labels a key is made of: what a reader sees in the images
KEY_FIELDS: tuple[str, ...] = ("composition", "mass", "calcification", "asymmetry",
                               "architectural_distortion")

NO_KEY = -1

#: composition categories a-d: codes 0-3 in the first column of a key table
N_COMPOSITION = 4


def text_label_key(text: str, laterality: str) -> tuple[object, ...] | None:
    """The (composition, finding presence...) a breast's text states, or None when the parser
    reads nothing from it (an empty record: no key, so no extra positives)."""
    from mammofm.reports import parse

    exam = parse(text)
    if exam.empty_reason or not exam.breasts:
        return None
    lats = [lat.value for lat in exam.breasts]
    lat = laterality if laterality in lats else (lats[0] if len(lats) == 1 else None)
    if lat is None:
        return None
    labels = breast_labels(exam, lat).as_dict()
    return tuple(labels[k] for k in KEY_FIELDS)


def label_keys(texts: Sequence[str], lateralities: Sequence[str]) -> np.ndarray:
    """Dense int64 ids, one per text (equal id = equal key), ``NO_KEY`` where a text has none."""
    return label_keys_and_table(texts, lateralities)[0]


def _code(value: object) -> int:
    """A label as a small int: presence 0/1, composition a-d 0-3, unknown -1."""
    if value is None:
        return -1
    if isinstance(value, (bool, int, np.integer)):
        return int(value)
    return "abcd".index(str(getattr(value, "value", value)))


def label_keys_and_table(texts: Sequence[str],
                         lateralities: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``label_keys`` and what each key states: a (K, len(KEY_FIELDS)) int64 table of label
    codes (``_code``; -1 unknown), row k for key id k (report-label targets, ``module``)."""
    ids: dict[tuple[object, ...], int] = {}
    out = np.full(len(texts), NO_KEY, dtype=np.int64)
    for i, (text, lat) in enumerate(zip(texts, lateralities, strict=True)):
        key = text_label_key(text, lat)
        if key is not None:
            out[i] = ids.setdefault(key, len(ids))
    table = np.array([[_code(v) for v in key] for key in ids], dtype=np.int64)
    return out, table.reshape(len(ids), len(KEY_FIELDS))
