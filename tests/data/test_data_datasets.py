from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from mammofm.data import (BOX_CLASSES, FourViewExamDataset, MammoImageDataset, collate,
                          load_cohort)
from mammofm.data import transforms as T

from data_fixtures import H, W, write_prepared


def test_image_item_shapes_labels_and_targets(prepared: Path) -> None:
    c = load_cohort(prepared)
    ds = MammoImageDataset(c.manifest, c.annotations)
    assert len(ds) == 7
    i = int(np.flatnonzero(ds.manifest["image_id"] == "S1_LCC")[0])
    item = ds[i]
    assert item["image"].shape == (1, H, W) and item["image"].dtype == torch.float32
    assert 0.0 <= float(item["image"].min()) and float(item["image"].max()) == pytest.approx(1.0)
    assert item["boxes"].shape == (1, 4) and item["box_labels"].tolist() == [
        BOX_CLASSES.index("mass")]
    assert item["mask"].shape == (1, H, W) and float(item["mask"].sum()) == 10 * 8
    assert item["labels"]["mass"].item() == 1.0 and item["laterality"] == "L"
    other = ds[(i + 1) % len(ds)]
    assert other["boxes"].shape == (0, 4) and float(other["mask"].sum()) == 0.0
    assert MammoImageDataset(c.manifest, in_chans=3)[i]["image"].shape == (3, H, W)


def test_eight_bit_png_scales_by_255(tmp_path: Path) -> None:
    c = load_cohort(write_prepared(tmp_path / "c", eight_bit=True))
    img = MammoImageDataset(c.manifest)[0]["image"]
    assert float(img.max()) == 1.0
    assert np.allclose((img.numpy() * 255).round(), img.numpy() * 255, atol=1e-3)


def test_unknown_label_is_nan(prepared: Path) -> None:
    c = load_cohort(prepared)
    man = c.manifest.copy()
    man.loc[0, "malignant"] = np.nan
    assert math.isnan(MammoImageDataset(man)[0]["labels"]["malignant"].item())


def test_failed_rows_are_left_out(prepared: Path) -> None:
    c = load_cohort(prepared)
    man = c.manifest.copy()
    man.loc[0, "status"] = "failed"
    assert len(MammoImageDataset(man)) == 6


def test_four_view_missing_view_is_zeros_and_false(prepared: Path) -> None:
    c = load_cohort(prepared)
    ds = FourViewExamDataset(c.manifest, c.annotations)
    assert ds.studies == ["S1", "S2"]
    full, partial = ds[0], ds[1]
    assert full["images"].shape == (4, 1, H, W) and full["view_present"].all()
    assert partial["view_present"].tolist() == [True, True, True, False]
    assert float(partial["images"][3].abs().sum()) == 0.0
    assert float(partial["images"][2].abs().sum()) > 0.0
    assert partial["image_ids"][3] == "" and partial["image_ids"][0] == "S2_LCC"
    assert full["labels"]["mass"].tolist() == [1.0, 0.0]   # L, R
    assert full["boxes"][0].shape == (1, 4) and full["boxes"][1].shape == (0, 4)
    batch = collate([full, partial])
    assert batch["images"].shape == (2, 4, 1, H, W)
    assert batch["view_present"].shape == (2, 4)
    assert batch["labels"]["mass"].shape == (2, 2)
    assert isinstance(batch["boxes"], list) and len(batch["boxes"]) == 2


def test_collate_images_keeps_boxes_as_lists(prepared: Path) -> None:
    c = load_cohort(prepared)
    ds = MammoImageDataset(c.manifest, c.annotations)
    batch = collate([ds[i] for i in range(4)])
    assert batch["image"].shape == (4, 1, H, W) and batch["mask"].shape == (4, 1, H, W)
    assert [b.shape[0] for b in batch["boxes"]] == [
        int((c.annotations["image_id"] == i).sum()) for i in ds.manifest["image_id"][:4]]
    assert batch["labels"]["malignant"].shape == (4,)
    assert batch["image_id"] == list(ds.manifest["image_id"][:4])


def test_dataset_augmentation_is_reproducible_and_varies_by_epoch(prepared: Path) -> None:
    c = load_cohort(prepared)
    ds_a = MammoImageDataset(c.manifest, c.annotations, transform=T.default_augment(3))
    ds_b = MammoImageDataset(c.manifest, c.annotations, transform=T.default_augment(3))
    assert torch.equal(ds_a[0]["image"], ds_b[0]["image"])
    assert torch.equal(ds_a[0]["image"], ds_a[0]["image"])   # same item, same draw
    ds_b.set_epoch(1)
    assert not torch.equal(ds_a[0]["image"], ds_b[0]["image"])


def test_augmented_batches_are_the_same_in_workers_and_in_process(prepared: Path) -> None:
    from torch.utils.data import DataLoader

    c = load_cohort(prepared)
    ds = MammoImageDataset(c.manifest, c.annotations, transform=T.default_augment(1))
    inproc = [b["image"] for b in DataLoader(ds, batch_size=3, collate_fn=collate)]
    workers = [b["image"] for b in DataLoader(ds, batch_size=3, collate_fn=collate,
                                              num_workers=2)]
    assert len(inproc) == len(workers) == 3
    assert all(torch.equal(a, b) for a, b in zip(inproc, workers))


def test_label_cells_none_na_and_blank_are_unknown() -> None:
    import pandas as pd

    from mammofm.data.datasets import label_value

    assert [math.isnan(label_value(v)) for v in (None, pd.NA, "", float("nan"))] == [True] * 4
    assert label_value(1) == 1.0 and label_value("2") == 2.0
    with pytest.raises(ValueError, match="'a'"):
        label_value("a")
