"""Retrieval metrics (Recall@k, mAP) over a FAISS ranking.

The gallery is indexed with FAISS (exact inner product on L2-normalised vectors = cosine);
every query gets the full ranking, so mAP counts every relevant gallery item. Recall@k is the
share of queries with at least one relevant item in the top k (the usual image-retrieval
definition); queries with no relevant item in the gallery are left out of every metric.
"""

from __future__ import annotations

import numpy as np


def faiss_rank(queries: np.ndarray, gallery: np.ndarray, k: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Cosine ranking of the gallery for each query: (scores, indices), each (Q, k).

    ``k`` defaults to the whole gallery.
    """
    import faiss

    q = _normalise(queries)
    g = _normalise(gallery)
    if q.shape[1] != g.shape[1]:
        raise ValueError(f"query dim {q.shape[1]} != gallery dim {g.shape[1]}")
    index = faiss.IndexFlatIP(g.shape[1])
    index.add(g)
    scores, idx = index.search(q, int(k or len(g)))
    return scores, idx


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    if x.ndim != 2:
        raise ValueError(f"embeddings must be 2-D, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, 1e-12))


def ranked_relevance(order: np.ndarray, relevant: np.ndarray,
                     exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Relevance in rank order. ``order`` (Q, G) gallery indices best first; ``relevant`` (Q, G)
    bool over gallery indices; ``exclude`` (Q, G) bool (e.g. the query itself) drops items.

    Returns (rel_ranked (Q, G') bool with excluded items removed, n_relevant (Q,)).
    """
    relevant = np.asarray(relevant, dtype=bool)
    rows, n_rel = [], []
    for qi in range(order.shape[0]):
        o = order[qi]
        o = o[o >= 0]  # FAISS pads with -1 when k > gallery size
        if exclude is not None:
            o = o[~np.asarray(exclude[qi], dtype=bool)[o]]
        rows.append(relevant[qi][o])
        keep = np.ones(relevant.shape[1], dtype=bool) if exclude is None else \
            ~np.asarray(exclude[qi], dtype=bool)
        n_rel.append(int((relevant[qi] & keep).sum()))
    width = max((len(r) for r in rows), default=0)
    out = np.zeros((len(rows), width), dtype=bool)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out, np.asarray(n_rel)


def retrieval_metrics(rel_ranked: np.ndarray, n_relevant: np.ndarray | None = None,
                      ks: tuple[int, ...] = (1, 5, 10)) -> dict[str, float]:
    """Recall@k and mAP from rank-ordered relevance (Q, G) bool.

    ``n_relevant`` (Q,) is the number of relevant items per query in the whole gallery (default:
    those in ``rel_ranked``); AP divides by it, so relevant items ranked beyond the list count
    as missed. ``n_queries`` says how many queries had something to find.
    """
    rel = np.asarray(rel_ranked, dtype=bool)
    n_rel = rel.sum(axis=1) if n_relevant is None else np.asarray(n_relevant)
    ok = n_rel > 0
    out: dict[str, float] = {}
    if not ok.any():
        out.update({f"recall@{k}": float("nan") for k in ks})
        out["map"] = float("nan")
        out["n_queries"] = 0.0
        return out
    rel, n_rel = rel[ok], n_rel[ok]
    for k in ks:
        out[f"recall@{k}"] = float(rel[:, :k].any(axis=1).mean())
    hits = np.cumsum(rel, axis=1)
    ranks = np.arange(1, rel.shape[1] + 1)
    ap = (np.where(rel, hits / ranks, 0.0).sum(axis=1)) / n_rel
    out["map"] = float(ap.mean())
    out["n_queries"] = float(ok.sum())
    return out
