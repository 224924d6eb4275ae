from __future__ import annotations

import pytest

from mammofm.train.throughput import compare_precisions, measure_train_throughput

SMALL = {"embed_dim": 32, "max_length": 32}


def test_throughput_is_a_positive_rate_for_each_setting():
    ips = measure_train_throughput("mammoclip-tiny", (64, 40), batch_size=4, steps=1, warmup=0,
                                   model_overrides=SMALL)
    assert 0 < ips < 1e6
    res = compare_precisions("mammoclip-tiny", (64, 40), batch_size=4, steps=1,
                             model_overrides=SMALL, clock="cpu", warmup=0)
    assert set(res) == {"fp32-eager", "bf16", "bf16+channels_last"}
    assert all(v > 0 for v in res.values())
    with pytest.raises(ValueError, match="precision"):
        measure_train_throughput("mammoclip-tiny", (64, 40), precision="int3")


def test_uncached_hub_text_tower_is_swapped_with_a_warning():
    with pytest.warns(UserWarning, match="(?s)Bio_ClinicalBERT.*bert-small"):
        ips = measure_train_throughput("mammoclip-b2", (64, 64), batch_size=2, steps=1, warmup=0)
    assert ips > 0
