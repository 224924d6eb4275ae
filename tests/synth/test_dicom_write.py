"""The MG For Presentation writer: valid objects, every transfer syntax, exact pixels."""

from __future__ import annotations

import io

import dicomsdl
import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_voi_lut
from pydicom.uid import DigitalMammographyXRayImageStorageForPresentation

from mammofm.dicom.write import (
    OPTIONAL_GROUPS,
    TRANSFER_SYNTAXES,
    DicomWriteError,
    MGImageMeta,
    Window,
    deterministic_uid,
    encode_mg,
    required_mg_attributes,
    write_mg,
)


def _meta(**kw) -> MGImageMeta:
    base = dict(patient_id="P1", study_uid=deterministic_uid("s"), series_uid=deterministic_uid("se"),
                sop_uid=deterministic_uid("i"), laterality="R", view="MLO", pixel_spacing_mm=0.5,
                bits_stored=14, windows=[Window(8000, 12000), Window(8500, 9000, "HARDER")],
                voi_lut_function="SIGMOID")
    base.update(kw)
    return MGImageMeta(**base)


def _pixels(bits: int = 14) -> np.ndarray:
    r = np.random.default_rng(1)
    return r.integers(0, 1 << bits, size=(96, 64), dtype=np.uint16)


@pytest.mark.parametrize("ts", sorted(TRANSFER_SYNTAXES))
def test_every_transfer_syntax_round_trips_exactly(ts, tmp_path):
    px = _pixels()
    path = write_mg(tmp_path / f"{ts}.dcm", px, _meta(), ts)
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == TRANSFER_SYNTAXES[ts]
    np.testing.assert_array_equal(ds.pixel_array, px)
    # an independent decoder reads the same pixels
    np.testing.assert_array_equal(dicomsdl.open(str(path)).pixelData(), px)


def test_required_attributes_and_codes():
    ds = pydicom.dcmread(io.BytesIO(encode_mg(_pixels(), _meta())))
    assert ds.SOPClassUID == DigitalMammographyXRayImageStorageForPresentation
    missing = [k for k in required_mg_attributes() if k not in ds]
    assert not missing
    assert ds.Modality == "MG" and ds.PresentationIntentType == "FOR PRESENTATION"
    assert ds.ImageLaterality == "R" and ds.ViewPosition == "MLO"
    assert ds.ViewCodeSequence[0].CodeValue == "399368009"  # SNOMED medio-lateral oblique
    assert ds.AnatomicRegionSequence[0].CodeValue == "76752008"  # breast
    assert list(ds.PatientOrientation) == ["P", "F"]
    assert (ds.BitsStored, ds.HighBit, ds.BitsAllocated) == (14, 13, 16)
    assert ds.VOILUTFunction == "SIGMOID" and len(ds.WindowCenter) == 2
    # pydicom applies the SIGMOID window: output is monotone in the input
    out = apply_voi_lut(np.array([[0, 8000, 16000]], dtype=np.uint16), ds, index=0)
    assert out[0, 0] < out[0, 1] < out[0, 2]


def test_monochrome1_inverts_presentation_lut_and_cc_codes():
    ds = pydicom.dcmread(io.BytesIO(encode_mg(_pixels(), _meta(photometric="MONOCHROME1",
                                                               laterality="L", view="CC"))))
    assert ds.PresentationLUTShape == "INVERSE"
    assert ds.ViewCodeSequence[0].CodeValue == "399162004"
    assert list(ds.PatientOrientation) == ["A", "R"]


@pytest.mark.parametrize("group", sorted(OPTIONAL_GROUPS))
def test_optional_groups_can_be_left_out(group):
    ds = pydicom.dcmread(io.BytesIO(encode_mg(_pixels(), _meta(omit=(group,)))))
    for keyword in OPTIONAL_GROUPS[group]:
        assert keyword not in ds
    if group == "ImageLaterality":
        assert ds.Laterality == "R"  # the series-level tag carries it instead


def test_same_input_same_bytes():
    a = encode_mg(_pixels(), _meta(), "j2k")
    b = encode_mg(_pixels(), _meta(), "j2k")
    assert a == b
    assert deterministic_uid(1, "x") == deterministic_uid(1, "x") != deterministic_uid(2, "x")
    assert pydicom.uid.UID(deterministic_uid(1, "x")).is_valid


def test_bad_input_names_file_and_cause(tmp_path):
    path = tmp_path / "bad.dcm"
    with pytest.raises(DicomWriteError, match=r"bad\.dcm: pixel value \d+ does not fit 12 bits"):
        write_mg(path, _pixels(14), _meta(bits_stored=12))
    with pytest.raises(DicomWriteError, match="must be uint16"):
        write_mg(path, _pixels().astype(np.int32), _meta())
    with pytest.raises(DicomWriteError, match="laterality/view"):
        write_mg(path, _pixels(), _meta(view="XCCL"))
    assert not path.exists()  # nothing half-written
