from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mammofm.data.adapters import AdapterError, load_adapter
from mammofm.data.images import read_mask

from data_fixtures import write_dicom

CSV = """Patient ID;Patient age;Laterality;View;Acquisition date;File Name;ACR;Bi-Rads
removed;removed;L;CC;201001;22678622;4 ;4a
removed;removed;L;MLO;201001;22678646;4 ;4a
removed;removed;R;CC;201001;22678670; ;1
"""

PLIST = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Images</key>
	<array>
		<dict>
			<key>ImageHeight</key>
			<integer>64</integer>
			<key>ImageIndex</key>
			<integer>0</integer>
			<key>NumberOfROIs</key>
			<integer>{n}</integer>
			<key>ROIs</key>
			<array>{rois}
			</array>
		</dict>
	</array>
</dict>
</plist>
"""
ROI = """
				<dict>
					<key>Area</key>
					<real>0.0</real>
					<key>Name</key>
					<string>{name}</string>
					<key>NumberOfPoints</key>
					<integer>{k}</integer>
					<key>Point_px</key>
					<array>{points}
					</array>
				</dict>"""


def _roi(name: str, pts: list[tuple[float, float]]) -> str:
    points = "".join(f"\n\t\t\t\t\t\t<string>({x:.6f}, {y:.6f})</string>" for x, y in pts)
    return ROI.format(name=name, k=len(pts), points=points)


def write_inbreast(root: Path) -> Path:
    (root / "AllXML").mkdir(parents=True)
    (root / "INbreast.csv").write_text(CSV)
    img = np.zeros((64, 40), np.uint16)
    for name, lat, view in (("22678622", "L", "CC"), ("22678646", "L", "ML"),
                            ("22678670", "R", "CC")):
        write_dicom(root / "AllDICOMs" / f"{name}_6c613a14b80a8591_MG_{lat}_{view}_ANON.dcm",
                    img, study_uid="1.2", series_uid="1.2.3", sop_uid=f"1.2.3.{name}")
    rois = [_roi("Mass", [(10.2, 20.0), (18.0, 21.4), (17.0, 30.0), (11.0, 29.0)]),
            _roi("Calcification", [(30.0, 40.0)]),
            _roi("Spiculated Region", [(1.0, 1.0), (2.0, 2.0), (1.0, 2.0)])]
    (root / "AllXML" / "22678622.xml").write_text(PLIST.format(n=len(rois), rois="".join(rois)))
    (root / "AllXML" / "22678646.xml").write_text(PLIST.format(
        n=1, rois=_roi("Mass", [(5.0, 5.0), (9.0, 5.0), (9.0, 9.0)])))
    return root


def test_inbreast_csv_dicom_names_and_rois(tmp_path: Path) -> None:
    res = load_adapter("inbreast").read(write_inbreast(tmp_path / "inb"), work_dir=tmp_path / "w")
    m = res.manifest.set_index("image_id")
    assert list(m.index) == ["22678622", "22678646", "22678670"]
    assert set(m["patient_id"]) == {"6c613a14b80a8591"}
    assert set(m["study_id"]) == {"6c613a14b80a8591_201001"}
    assert m.loc["22678646", "view"] == "MLO"
    assert m.loc["22678622", "birads"] == "4A" and m.loc["22678622", "composition"] == "d"
    assert math.isnan(m.loc["22678670", "composition_class"])   # blank ACR: unknown
    assert m.loc["22678670", "malignant"] == 0.0 and m.loc["22678622", "mass"] == 1.0
    assert (m.loc["22678622", "orig_height"], m.loc["22678622", "orig_width"]) == (64, 40)
    a = res.annotations
    mass = a[(a["image_id"] == "22678622") & (a["kind"] == "mass")].iloc[0]
    assert (mass["x0"], mass["y0"], mass["x1"], mass["y1"]) == (10.0, 20.0, 19.0, 31.0)
    mask = read_mask(mass["mask_path"])
    ys, xs = np.nonzero(mask)
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (10, 20, 19, 31)
    calc = a[a["kind"] == "calcification"].iloc[0]
    assert (calc["x1"] - calc["x0"], calc["mask_path"]) == (1.0, "")
    left = res.exams["6c613a14b80a8591_201001"].breast("L")
    masses = left.positive_findings("mass")
    assert len(masses) == 1 and [v.value for v in masses[0].views] == ["CC", "MLO"]
    assert any("Spiculated Region" in n for n in res.notes)


def test_inbreast_bad_plist_is_recorded_and_the_rest_read(tmp_path: Path) -> None:
    root = write_inbreast(tmp_path / "inb")
    (root / "AllXML" / "22678646.xml").write_text("<plist><dict><key>Images</key>")
    res = load_adapter("inbreast").read(root)
    assert len(res.errors) == 1 and "22678646.xml" in res.errors[0]
    assert len(res.manifest) == 3 and set(res.annotations["image_id"]) == {"22678622"}
    (root / "INbreast.csv").write_text(CSV.replace("Bi-Rads", "BiRads"))
    with pytest.raises(AdapterError, match=r"INbreast.csv.*'Bi-Rads'"):
        load_adapter("inbreast").read(root)


def test_inbreast_csv_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    root = write_inbreast(tmp_path / "inb")
    (root / "INbreast.csv").write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    res = load_adapter("inbreast").read(root)
    assert len(res.manifest) == 3
