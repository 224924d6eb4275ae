import numpy as np
import pytest

from mammofm.common.geometry import FrameTransform, fit_transform


@pytest.mark.parametrize("flipped", [False, True])
def test_boxes_and_points_round_trip(flipped):
    t = fit_transform((1000, 600), (100, 50, 900, 550), (320, 192), flipped)
    boxes = np.array([[60.0, 120.0, 200.0, 300.0], [400.0, 500.0, 540.0, 880.0]])
    out = t.boxes_to_output(boxes)
    assert np.all(out[:, 2] > out[:, 0]) and np.all(out[:, 3] > out[:, 1])
    assert np.allclose(t.boxes_to_original(out), boxes, atol=1e-6)
    if flipped:  # a box near the crop's left edge moves to the right side
        assert out[0, 0] > t.content_size[1] / 2


def test_mask_follows_box():
    t = fit_transform((400, 300), (20, 10, 380, 290), (160, 96), True)
    m = np.zeros((400, 300), bool)
    m[100:200, 40:120] = True
    mo = t.mask_to_output(m)
    ys, xs = np.nonzero(mo)
    box = t.boxes_to_output(np.array([[40, 100, 120, 200]]))[0]
    assert abs(xs.min() - box[0]) <= 1 and abs(xs.max() + 1 - box[2]) <= 1
    assert abs(ys.min() - box[1]) <= 1 and abs(ys.max() + 1 - box[3]) <= 1
    back = t.mask_to_original(mo)
    inter = (back & m).sum() / (back | m).sum()
    assert inter > 0.9


def test_from_row_round_trip():
    t = fit_transform((500, 300), (0, 0, 500, 300), (100, 60), False)
    row = {"orig_height": 500, "orig_width": 300, "crop_box": t.crop_box, "scale": t.scale,
           "pad": t.pad, "flipped": False}
    assert FrameTransform.from_row(row, (100, 60)) == t


def test_sparse_dots_survive_downscaling():
    t = fit_transform((800, 480), (0, 0, 800, 480), (100, 60), False)
    m = np.zeros((800, 480), bool)
    for y, x in [(101, 203), (333, 77), (611, 409)]:  # single-pixel specks
        m[y, x] = True
    out = t.mask_to_output(m)
    assert out.dtype == bool and out.sum() >= 3
    for y, x in [(101, 203), (333, 77), (611, 409)]:
        ox, oy = t.points_to_output(np.array([[x + 0.5, y + 0.5]]))[0]
        assert out[int(oy), int(ox)]
