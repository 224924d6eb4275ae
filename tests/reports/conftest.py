"""Shared fixtures: the gold corpus, report texts and their labels as Exam records (format: corpus/README.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from mammofm.birads import Breast, Comparison, Exam, Finding, Location

CORPUS = Path(__file__).parent / "corpus"
_KEYS = {"shape": "shape", "margin": "margin", "dens": "density", "morph": "morphology",
         "distr": "distribution", "type": "asymmetry_type", "size": "size_mm", "stab": "stability",
         "mod": "modality", "mat": "implant_material", "pos": "implant_position"}


def _finding(spec: str) -> tuple[str, Finding]:
    side, kind, certainty, *rest = spec.split()
    kw: dict = {"kind": kind, "certainty": certainty}
    loc: dict = {}
    for token in rest:
        key, value = token.split("=", 1)
        if key in _KEYS:
            kw[_KEYS[key]] = float(value) if key == "size" else value
        elif key == "quad":
            loc["quadrant"] = value
        elif key == "clock":
            loc["clock"] = float(value)
        elif key == "depth":
            loc["depth"] = value
        elif key == "dist":
            loc["distance_from_nipple_cm"] = float(value)
        elif key == "bx":
            kw["previously_biopsied"] = value == "1"
        elif key == "rupture":
            kw["implant_rupture"] = value == "1"
        elif key == "af":
            kw["associated_features"] = value.split(",")
        elif key == "views":
            kw["views"] = value.split(",")
        else:
            raise ValueError(f"unknown gold key {key!r} in {spec!r}")
    return side, Finding(location=Location(**loc), **kw)


def gold_exam(g: dict) -> Exam:
    sides = set(g["scope"]) | set(g.get("composition", {})) | \
        {k for k in g.get("assessment", {}) if k != "overall"}
    findings = [_finding(s) for s in g.get("findings", [])]
    sides |= {s for s, _ in findings}
    breasts = {}
    for side in sorted(sides):
        breasts[side] = Breast(composition=g.get("composition", {}).get(side),
                               assessment=g.get("assessment", {}).get(side),
                               findings=[f for s, f in findings if s == side])
    comp = g.get("comparison")
    comparison = None
    if comp is not None:
        comparison = Comparison(compared=comp["compared"], change=comp.get("change"),
                                prior_date=dt.date.fromisoformat(comp["prior_date"])
                                if comp.get("prior_date") else None)
    return Exam(breasts=breasts, overall_assessment=g.get("assessment", {}).get("overall"),
                recommendations=g.get("recommendations", []), comparison=comparison,
                indication=g.get("indication"), patient_age=g.get("age"))


def load(folder: Path = CORPUS) -> list[tuple[str, str, Exam]]:
    """(file name, report text, gold Exam) for every report of a gold folder."""
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    return [(name, (folder / name).read_text(encoding="utf-8"), gold_exam(g))
            for name, g in sorted(gold.items())]


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def corpus() -> list[tuple[str, str, Exam]]:
    return load()


@pytest.fixture(scope="session")
def holdout() -> list[tuple[str, str, Exam]]:
    return load(CORPUS.parent / "corpus_holdout")
