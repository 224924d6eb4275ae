"""Pixel decoders, each the fallback of the others: pylibjpeg-rle for RLE Lossless, dicomsdl,
then pydicom with its plugins.

``decode_stored`` returns the *stored values* (before any LUT) of a single-frame grayscale
image. For a single RLE Lossless image (the CBIS-DDSM files) the fastest is pylibjpeg-rle
called directly on the frame's bytes, read from where the header read stopped (no second
parse of the file). A batch that passes a :class:`FrameBuffer` gets dicomsdl first instead:
it writes into the buffer, and not allocating a fresh 25 MB frame per image saves more than
the faster decoder gains. dicomsdl is the faster on the other common syntaxes and decodes
some 12-bit JPEG Extended files no pydicom plugin can; pydicom (gdcm,
pylibjpeg-openjpeg/-libjpeg/-rle, pillow, pyjpegls) handles everything dicomsdl gets wrong.
dicomsdl is only tried where it is known to be right: one frame, one sample, 8/16 bits
allocated, and no signed value narrower than its container (dicomsdl does not sign-extend
those); elsewhere it has returned wrong values or aborted the process (32-bit RLE), so it is
never tried there.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom.uid

from .errors import DicomError
from .header import DicomHeader, read_dataset

#: a decoder: (path, header) -> 2-D array of stored values; raises on failure
Decoder = Callable[[Path, DicomHeader], np.ndarray]
#: a support check: header -> None when the decoder may be tried, else the reason it may not
Support = Callable[[DicomHeader], str | None]


def _plain_frame_issue(h: DicomHeader) -> str | None:
    """Why a fast decoder may not take this frame layout (one frame of 8/16-bit samples, no
    signed values narrower than their container), or None."""
    if h.frames != 1 or h.samples_per_pixel != 1:
        return "multi-frame or multi-sample"
    if h.bits_allocated not in (8, 16):
        return f"{h.bits_allocated} bits allocated"
    if h.pixel_representation == 1 and (h.bits_stored or 0) < h.bits_allocated:
        return "signed values narrower than their container"
    return None


def _dicomsdl_support(h: DicomHeader) -> str | None:
    if not h.transfer_syntax or not pydicom.uid.UID(h.transfer_syntax).is_compressed:
        # native pixel data: pydicom reads it as fast, and dicomsdl crashes on truncated files
        return "native (uncompressed) pixel data"
    return _plain_frame_issue(h)


class FrameBuffer:
    """Reusable memory for decoded frames. A batch that decodes one image after another
    passes the same buffer each time: decoders that can write into caller memory (dicomsdl)
    then allocate nothing, which saves the page faults of tens of MB per image (on the
    virtual machines measured here, as much time as half the decoding itself). The array a
    decode returns is a view of the buffer and is overwritten by the next decode into it."""

    def __init__(self) -> None:
        self._mem: np.ndarray | None = None

    def array(self, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
        n = int(shape[0]) * int(shape[1]) * dtype.itemsize
        if self._mem is None or self._mem.size < n:
            self._mem = np.empty(n, np.uint8)
        return self._mem[:n].view(dtype).reshape(shape)


def _decode_dicomsdl(path: Path, h: DicomHeader, buffer: FrameBuffer | None = None
                     ) -> np.ndarray:
    import dicomsdl

    level = dicomsdl.get_loglevel()
    dicomsdl.set_loglevel(dicomsdl.LogLevel.DISABLE)  # its errors reach us as exceptions
    try:
        dset = dicomsdl.open(str(path))
        if buffer is None:
            return np.asarray(dset.pixelData(storedvalue=True))
        info = dset.getPixelDataInfo()
        out = buffer.array((int(info["Rows"]), int(info["Cols"])), np.dtype(info["dtype"]))
        dset.copyFrameData(0, out)  # the stored values, as pixelData(storedvalue=True)
        return out
    finally:
        dicomsdl.set_loglevel(level)


_RLE_LOSSLESS = "1.2.840.10008.1.2.5"
_ITEM, _SEQ_END = b"\xfe\xff\x00\xe0", b"\xfe\xff\xdd\xe0"


def _rle_support(h: DicomHeader) -> str | None:
    if h.transfer_syntax != _RLE_LOSSLESS:
        return "not RLE Lossless"
    issue = _plain_frame_issue(h)
    if issue is None and h.pixel_data_offset is None:
        return "position of the pixel data unknown"
    return issue


def read_rle_frame(path: Path, offset: int) -> bytes:
    """The one RLE frame of an encapsulated pixel data element that starts at ``offset``:
    its fragments (after the basic offset table) joined; truncation and damage raise."""
    with open(path, "rb") as fp:
        fp.seek(offset)
        head = fp.read(12)  # tag, VR, 2 reserved bytes, undefined length (explicit VR LE)
        if (len(head) < 12 or head[:4] != b"\xe0\x7f\x10\x00" or head[4:6] not in (b"OB", b"OW")
                or head[8:] != b"\xff\xff\xff\xff"):
            raise DicomError(path, "no encapsulated pixel data element where the header ends")
        fragments: list[bytes] = []
        first = True  # the first item is the basic offset table
        while True:
            item = fp.read(8)
            if len(item) < 8:
                raise DicomError(path, "truncated file: the pixel data stops before its end")
            n = int.from_bytes(item[4:], "little")
            if item[:4] == _SEQ_END:
                break
            if item[:4] != _ITEM or n == 0xFFFFFFFF:
                raise DicomError(path, "damaged encapsulated pixel data (bad item header)")
            data = fp.read(n)
            if len(data) < n:
                raise DicomError(path, "truncated file: the pixel data stops before its end")
            if not first:
                fragments.append(data)
            first = False
    if not fragments:
        raise DicomError(path, "encapsulated pixel data without a fragment")
    return fragments[0] if len(fragments) == 1 else b"".join(fragments)


def _decode_rle(path: Path, h: DicomHeader) -> np.ndarray:
    from rle.rle import decode_frame  # pylibjpeg-rle

    assert h.pixel_data_offset is not None and h.rows and h.columns and h.bits_allocated
    frame = read_rle_frame(path, h.pixel_data_offset)
    out = decode_frame(frame, h.rows * h.columns, h.bits_allocated, "<")
    kind = "i" if h.pixel_representation == 1 else "u"
    dtype = np.dtype(f"<{kind}{h.bits_allocated // 8}")
    arr = np.frombuffer(out, dtype=dtype).reshape(h.rows, h.columns)  # no copy: owns `out`
    return arr.astype(dtype.newbyteorder("="), copy=False)


class NoPixelData(DicomError):
    """The file is DICOM but holds no image (a report, a plan, a waveform...)."""


def _no_pixels(h: DicomHeader) -> NoPixelData:
    sop = str(h.dataset.get("SOPClassUID", "") or "")
    name = pydicom.uid.UID(sop).name if sop else "unknown"
    return NoPixelData(h.source_path, f"no pixel data: not an image (SOP class {name})")


def _pydicom_decoder(plugin: str) -> Decoder:
    def decode(path: Path, h: DicomHeader) -> np.ndarray:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = read_dataset(path, stop_before_pixels=False)
        if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
            if any("delimiter" in str(w.message) for w in caught):
                raise DicomError(path, "truncated file: the pixel data stops before its end "
                                       "(end of file before the sequence delimiter)")
            if h.rows is not None:
                raise DicomError(path, "the header describes an image but the pixel data "
                                       "element is missing (truncated or damaged file)")
            raise _no_pixels(h)
        if plugin:
            ds.pixel_array_options(decoding_plugin=plugin)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns, then corrects (e.g. pixel rep.)
            arr = ds.pixel_array
        return arr.astype(arr.dtype.newbyteorder("="), copy=False)

    return decode


def _always(h: DicomHeader) -> str | None:
    return None


#: name -> (decoder, support check); "auto" tries them in this order
DECODERS: dict[str, tuple[Decoder, Support]] = {
    "rle": (_decode_rle, _rle_support),  # pylibjpeg-rle on the frame bytes
    "dicomsdl": (_decode_dicomsdl, _dicomsdl_support),
    "pydicom": (_pydicom_decoder(""), _always),  # pydicom tries each of its plugins in turn
    "gdcm": (_pydicom_decoder("gdcm"), _always),
    "pylibjpeg": (_pydicom_decoder("pylibjpeg"), _always),
}
AUTO_ORDER: tuple[str, ...] = ("rle", "dicomsdl", "pydicom")
#: decoders that can also write into a FrameBuffer: name -> (path, header, buffer) -> array
INTO_BUFFER: dict[str, Callable[[Path, DicomHeader, FrameBuffer], np.ndarray]] = {
    "dicomsdl": _decode_dicomsdl,
}


def _syntax_name(h: DicomHeader) -> str:
    if not h.transfer_syntax:
        return "unknown transfer syntax"
    return pydicom.uid.UID(h.transfer_syntax).name


def check_decodable(h: DicomHeader) -> None:
    """Refuse, with the reason, what is not a single grayscale image."""
    path = h.source_path
    if h.rows is None and h.columns is None and h.bits_allocated is None:
        raise _no_pixels(h)
    if h.rows is None or h.columns is None or h.bits_allocated is None:
        raise DicomError(path, "missing Rows, Columns or BitsAllocated")
    if h.samples_per_pixel not in (None, 1):
        raise DicomError(path, f"colour image ({h.photometric}, {h.samples_per_pixel} samples "
                               "per pixel), not a grayscale mammogram")
    if h.photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise DicomError(path, f"unsupported photometric interpretation {h.photometric}")
    if h.frames != 1:
        raise DicomError(path, f"multi-frame image ({h.frames} frames) is not supported")


def _check_shape(arr: np.ndarray, h: DicomHeader) -> str | None:
    if arr.ndim != 2 or arr.shape != (h.rows, h.columns):
        return f"decoded shape {arr.shape} is not Rows x Columns ({h.rows}, {h.columns})"
    if arr.dtype.kind not in "uif":
        return f"decoded dtype {arr.dtype}"
    return None


def decode_stored(h: DicomHeader, decoder: str = "auto", buffer: FrameBuffer | None = None
                  ) -> tuple[np.ndarray, str]:
    """Decode the stored values of the image ``h`` describes; (array, decoder name).

    ``decoder`` is "auto" (fastest decoder known to be right, then the others) or a name in
    DECODERS. Every decoder's failure is kept, and the DicomError lists them all. With a
    ``buffer``, decoders of INTO_BUFFER write into it (and are tried first under "auto": in
    a batch, not allocating beats the faster decoder that must), others allocate as usual."""
    check_decodable(h)
    path = Path(h.source_path)
    if decoder == "auto":
        names = list(AUTO_ORDER)
        if buffer is not None:
            names.sort(key=lambda n: n not in INTO_BUFFER)  # stable: else AUTO_ORDER
    elif decoder in DECODERS:
        names = [decoder]
    else:
        raise ValueError(f"unknown decoder {decoder!r}; known: auto, {', '.join(DECODERS)}")
    failures: list[str] = []
    for name in names:
        fn, support = DECODERS[name]
        why_not = support(h)
        if why_not:
            failures.append(f"{name}: not tried ({why_not})")
            continue
        try:
            arr = fn(path, h) if buffer is None or name not in INTO_BUFFER \
                else INTO_BUFFER[name](path, h, buffer)
        except NoPixelData:
            raise
        except DicomError as exc:
            failures.append(f"{name}: {exc.cause}")
            continue
        except Exception as exc:  # decoders raise RuntimeError, ValueError, DicomException...
            msg = " ".join(str(exc).split()) or type(exc).__name__
            failures.append(f"{name}: {msg[:300]}")
            continue
        bad = _check_shape(arr, h)
        if bad:
            failures.append(f"{name}: {bad}")
            continue
        return arr, name
    raise DicomError(path, f"cannot decode {_syntax_name(h)} pixel data; " + "; ".join(failures))
