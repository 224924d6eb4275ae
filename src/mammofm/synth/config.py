"""Configuration of a synthetic cohort: finding prevalences, acquisition sites, the cohort itself.

Registries (``PREVALENCES``, ``SITES``) hold the named presets; a cohort config is a plain
dataclass that round-trips through JSON (``synth_config.json`` beside every cohort).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class Prevalence:
    """How often each finding occurs, per breast unless said otherwise.

    ``*_malignant`` are the fractions of that finding that are cancers before the density
    multiplier (``density_risk``: dense breasts carry more cancers, the confounder real data has).
    """

    composition: tuple[float, float, float, float] = (0.10, 0.42, 0.39, 0.09)  # a, b, c, d
    mass: float = 0.18
    mass_malignant: float = 0.30
    calc_benign: float = 0.14
    calc_suspicious: float = 0.10
    asymmetry: float = 0.06
    asymmetry_malignant: float = 0.05
    architectural_distortion: float = 0.03
    distortion_malignant: float = 0.6
    lymph_node: float = 0.08
    implant_per_patient: float = 0.03
    density_risk: tuple[float, float, float, float] = (0.6, 0.9, 1.2, 1.5)
    diagnostic_fraction: float = 0.1
    comparison_fraction: float = 0.6


#: named prevalence presets. "enriched" (default) is close to the public research sets
#: (VinDr-Mammo / CBIS-DDSM-like finding rates) so a few hundred exams carry signal;
#: "screening" is a population screening programme (about 6 cancers per 1000 exams).
PREVALENCES: dict[str, Prevalence] = {
    "enriched": Prevalence(),
    "screening": Prevalence(
        mass=0.035, mass_malignant=0.035, calc_benign=0.22, calc_suspicious=0.005,
        asymmetry=0.02, asymmetry_malignant=0.02, architectural_distortion=0.0015,
        distortion_malignant=0.5, lymph_node=0.05, implant_per_patient=0.04,
        diagnostic_fraction=0.0, comparison_fraction=0.75),
}


@dataclass(frozen=True)
class SitePreset:
    """How one site acquires and processes images (vendor look), with per-image mixes.

    Fractions are probabilities per image (``mono1_fraction``...) or per study
    (``transfer_syntaxes`` weights). Physical settings: ``field_mm`` is the detector height the
    output rows cover (smaller = breast fills more of the frame = "higher resolution"),
    ``noise_counts`` the mean detected quanta per pixel behind the breast (lower = noisier).
    """

    name: str
    manufacturer: str = "mammofm synthetic"
    model_name: str = "SYNTH-DR"
    institution: str = "Synthetic Site A"
    bits_stored: tuple[int, ...] = (12, 14)
    mono1_fraction: float = 0.2
    sigmoid_fraction: float = 0.25
    three_windows_fraction: float = 0.5  # NORMAL / HARDER / SOFTER, as GE writes them
    transfer_syntaxes: dict[str, float] = field(
        default_factory=lambda: {"explicit": 0.3, "rle": 0.4, "jpegls": 0.15, "j2k": 0.15})
    omit_fraction: float = 0.15  # per image: drop one optional attribute group
    mirrored_fraction: float = 0.0  # per image: stored mirrored (PatientOrientation follows)
    field_mm: float = 300.0
    blur_mm: float = 0.15
    noise_counts: float = 1500.0
    scatter: float = 0.15
    gamma: float = 1.3  # tone curve exponent of the presentation LUT
    equalisation: float = 0.35  # peripheral (thickness) equalisation strength
    unsharp: float = 0.6  # detail enhancement
    kvp: float = 28.0

    def with_(self, **changes: Any) -> SitePreset:
        return replace(self, **changes)


SITES: dict[str, SitePreset] = {
    # what a mixed real archive holds: every encoding, both photometrics, some SIGMOID
    "mixed": SitePreset("mixed"),
    # a clean DR site: MONOCHROME2, linear windows, RLE, 12 bits
    "site-a": SitePreset(
        "site-a", manufacturer="Synthetic Imaging A", model_name="SA-3000",
        institution="Synthetic Site A", bits_stored=(12,), mono1_fraction=0.0,
        sigmoid_fraction=0.0, three_windows_fraction=0.0, transfer_syntaxes={"rle": 1.0},
        omit_fraction=0.05),
    # a GE-like site: MONOCHROME1, SIGMOID with three windows, JPEG 2000, 14 bits,
    # stronger processing, noisier
    "site-b": SitePreset(
        "site-b", manufacturer="Synthetic Imaging B", model_name="SB-Essential",
        institution="Synthetic Site B", bits_stored=(14,), mono1_fraction=0.9,
        sigmoid_fraction=1.0, three_windows_fraction=1.0, transfer_syntaxes={"j2k": 1.0},
        noise_counts=700.0, gamma=1.0, equalisation=0.7, unsharp=1.0, blur_mm=0.2,
        scatter=0.22, kvp=30.0),
    # an older site: JPEG-LS, 16 bits, larger field (coarser), low contrast, little processing,
    # images stored mirrored half the time, more missing tags
    "site-c": SitePreset(
        "site-c", manufacturer="Synthetic Imaging C", model_name="SC-Legacy",
        institution="Synthetic Site C", bits_stored=(16,), mono1_fraction=0.0,
        sigmoid_fraction=0.0, three_windows_fraction=0.0, transfer_syntaxes={"jpegls": 1.0},
        omit_fraction=0.4, mirrored_fraction=0.5, field_mm=340.0, blur_mm=0.35,
        noise_counts=2500.0, gamma=1.7, equalisation=0.1, unsharp=0.2, scatter=0.3, kvp=26.0),
}


def get_site(name: str) -> SitePreset:
    try:
        return SITES[name]
    except KeyError:
        raise KeyError(f"unknown site {name!r}; known: {', '.join(SITES)}") from None


def get_prevalence(name: str) -> Prevalence:
    try:
        return PREVALENCES[name]
    except KeyError:
        raise KeyError(f"unknown prevalence preset {name!r}; known: {', '.join(PREVALENCES)}"
                       ) from None


def parse_size(text: str | tuple[int, int]) -> tuple[int, int]:
    """'512x320' (HxW) -> (512, 320)."""
    if isinstance(text, tuple):
        return int(text[0]), int(text[1])
    try:
        h, w = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ValueError(f"size {text!r} is not HxW, e.g. 512x320") from None
    if h < 64 or w < 40:
        raise ValueError(f"size {text!r} too small (at least 64x40)")
    return h, w


@dataclass(frozen=True)
class CohortConfig:
    """Everything that decides a cohort's bytes (workers does not)."""

    patients: int = 40
    seed: int = 0
    size: tuple[int, int] = (512, 320)
    site: str = "mixed"
    prevalence: str = "enriched"
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)  # train, val, test by patient
    report_styles: tuple[str, ...] = ()  # empty: every style the report writer offers
    first_patient: int = 0  # patient indices first_patient .. first_patient + patients - 1
    #: contrast multiplier of the drawn findings (1 = the physical model). A teaching cohort
    #: (e.g. 2-3) lets tiny models at 128x80 on a CPU see findings that at 1 need real
    #: resolution and thousands of exams; every use of a gain != 1 should say so.
    lesion_gain: float = 1.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CohortConfig:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
        return cls(**kw)
