"""Recall@k and mAP by hand, and the FAISS ranking against brute-force cosine."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from mammofm.eval.metrics.retrieval import faiss_rank, ranked_relevance, retrieval_metrics


def test_hand_computed_recall_and_map() -> None:
    # query 0: relevant at ranks 1 and 3 -> AP = (1/1 + 2/3) / 2
    # query 1: relevant at rank 2 only     -> AP = 1/2
    # query 2: nothing relevant            -> ignored
    rel = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=bool)
    m = retrieval_metrics(rel, ks=(1, 2))
    assert m["recall@1"] == pytest.approx(0.5)
    assert m["recall@2"] == pytest.approx(1.0)
    assert m["map"] == pytest.approx(((1 + 2 / 3) / 2 + 1 / 2) / 2)
    assert m["n_queries"] == 2


def test_relevant_items_beyond_the_list_count_as_missed() -> None:
    rel = np.array([[1, 0]], dtype=bool)
    assert retrieval_metrics(rel, n_relevant=np.array([2]))["map"] == pytest.approx(0.5)


def test_faiss_rank_matches_cosine_and_ap_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    g = rng.normal(size=(30, 8)).astype(np.float32)
    q = rng.normal(size=(5, 8)).astype(np.float32)
    scores, order = faiss_rank(q, g)
    cos = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (
        g / np.linalg.norm(g, axis=1, keepdims=True)).T
    assert np.array_equal(order, np.argsort(-cos, axis=1))
    assert scores == pytest.approx(np.take_along_axis(cos, order, 1), abs=1e-5)
    relevant = rng.random((5, 30)) < 0.2
    relevant[:, 0] = True
    rr, n_rel = ranked_relevance(order, relevant)
    m = retrieval_metrics(rr, n_rel)
    ref = np.mean([average_precision_score(relevant[i], cos[i]) for i in range(5)])
    assert m["map"] == pytest.approx(ref)


def test_exclude_removes_the_query_itself() -> None:
    order = np.array([[0, 1, 2]])
    relevant = np.array([[True, False, True]])
    exclude = np.array([[True, False, False]])
    rr, n_rel = ranked_relevance(order, relevant, exclude)
    assert rr.tolist() == [[False, True]] and n_rel.tolist() == [1]
    assert retrieval_metrics(rr, n_rel, ks=(1,))["recall@1"] == 0.0
