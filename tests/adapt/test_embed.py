from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mammofm.adapt import extract_features
from mammofm.adapt.embed import (EmbeddingFileError, embed_manifest, read_embeddings,
                                 write_embeddings)


@pytest.mark.parametrize("fmt", ["parquet", "npy"])
def test_embed_round_trip(tiny_clip, blob_data, tmp_path, fmt):
    texts = {"st-0": "There is a mass in the left breast.", "st-1": "Negative."}
    files = embed_manifest(tiny_clip, blob_data, tmp_path / "emb", texts=texts, fmt=fmt,
                           progress=False)
    frame, X = read_embeddings(files["images"][0])
    ref = extract_features(tiny_clip, blob_data, kind="embedding", progress=False)
    assert frame["image_id"].tolist() == ref.ids
    assert frame["laterality"].tolist() == ref.frame["laterality"].tolist()
    np.testing.assert_array_equal(X, ref.X)
    tframe, T = read_embeddings(files["texts"][0])
    assert tframe["study_id"].tolist() == ["st-0", "st-1"]
    assert T.shape == (2, 8)
    np.testing.assert_allclose(np.linalg.norm(T, axis=1), 1, atol=1e-5)
    leftovers = [p for p in (tmp_path / "emb").iterdir() if ".part" in p.name]
    assert not leftovers


def test_bad_files_are_named(tmp_path):
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(EmbeddingFileError, match="x.parquet"):
        read_embeddings(bad)
    write_embeddings(pd.DataFrame({"image_id": ["a", "b"]}), np.ones((2, 3)), tmp_path / "e",
                     "npy")
    (tmp_path / "e.ids.csv").write_text("image_id\na\n")
    with pytest.raises(EmbeddingFileError, match="1 ids but 2 vectors"):
        read_embeddings(tmp_path / "e.npy")
    with pytest.raises(ValueError, match="unknown embedding format"):
        write_embeddings(pd.DataFrame({"a": [1]}), np.ones((1, 2)), tmp_path / "z", "hdf5")
