"""Report parsing speed (reports/s on one core) and accuracy, against the library alternative.

Corpus: the 61 hand-written gold reports of ``tests/reports/corpus`` plus writer-produced
reports of random exams (all styles). Two parsers run on the same texts in the same process:

* ``mammofm.reports.parse``: the compact rule engine (vocabulary trie + ConText cues), full
  BI-RADS record with evidence spans, validated;
* spaCy + negspaCy (NegEx) as the alternative: a blank English pipeline, a sentencizer, an
  EntityRuler with the same lexicon wordings for finding kinds and sides, and negspaCy's
  clinical termset. It produces only finding kinds with negation (and a side), a subset of the
  record, so it is compared on that subset: the "findings" field group (side, kind,
  certainty) of the gold corpus. spaCy / negspaCy are optional (``pip install -e '.[bench]'``):
  the row says "not installed" if they are absent.

Prints one table: reports/s (wall clock and per CPU-second), ms/report, findings F1 on the gold
corpus, all-fields F1, with the machine's contention measured in the same run.

    python benchmarks/parse.py [--synthetic 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reports"))


def pin_one_core() -> str:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return f"pinned to core {min(os.sched_getaffinity(0))}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def corpus(n_synthetic: int) -> tuple[list[str], list, list]:
    from conftest import load  # the gold corpus loader of the tests

    from mammofm.reports import STYLES, random_exam, write

    gold = load()
    holdout = load(ROOT / "tests" / "reports" / "corpus_holdout")
    styles = sorted(STYLES)
    synth = [write(random_exam(np.random.default_rng([11, i])), styles[i % len(styles)], seed=i)
             for i in range(n_synthetic)]
    return [t for _, t, _ in gold] + synth, gold, holdout


def time_it(fn, texts: list[str], repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` (wall, CPU) seconds per report; CPU time is what one core spends."""
    for t in texts[:20]:
        fn(t)  # warm caches and lazy compilation
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        for t in texts:
            fn(t)
        best = min(best, (time.perf_counter() - t0) / len(texts))
        best_cpu = min(best_cpu, (time.process_time() - c0) / len(texts))
    return best, best_cpu


def python_speed() -> float:
    """Microseconds of CPU for sum(range(1000)) now (about 8 on an idle modern core): says how
    contended this machine is while the figures are taken."""
    c0 = time.process_time()
    for _ in range(3000):
        sum(range(1000))
    return (time.process_time() - c0) / 3000 * 1e6


# ---- the spaCy + negspaCy alternative ---------------------------------------------------------
def build_negspacy():
    import spacy
    from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)

    from mammofm.birads import lexicon

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    patterns = []
    for form, value in lexicon.surface_forms("kind").items():
        if form not in ("density", "densities", "calcified"):
            patterns.append({"label": "FINDING", "pattern": form, "id": value})
    for form, value in lexicon.surface_forms("asymmetry_type").items():
        patterns.append({"label": "FINDING", "pattern": form, "id": "asymmetry"})
    for form, value in lexicon.surface_forms("laterality").items():
        if len(form) > 1:
            patterns.append({"label": "SIDE", "pattern": form, "id": value})
    for form in ("bilateral", "bilaterally", "both breasts", "either breast"):
        patterns.append({"label": "SIDE", "pattern": form, "id": "B"})
    ruler.add_patterns(patterns)
    nlp.add_pipe("negex", config={"ent_types": ["FINDING"]})
    return nlp


def negspacy_findings(nlp, text: str):
    """An Exam holding only finding kinds, certainty (NegEx) and side, from spaCy + negspaCy."""
    from mammofm.birads import Breast, Exam, Finding

    doc = nlp(text)
    found: dict[str, list[Finding]] = {"L": [], "R": []}
    seen = set()
    for sent in doc.sents:
        sides = [e for e in sent.ents if e.label_ == "SIDE"]
        for ent in sent.ents:
            if ent.label_ != "FINDING":
                continue
            near = min(sides, key=lambda s: abs(s.start - ent.start), default=None)
            which = ["L", "R"] if near is None or near.ent_id_ == "B" else [near.ent_id_]
            cert = "negated" if ent._.negex else "present"
            for side in which:
                key = (side, ent.ent_id_, cert)
                if cert == "negated" and key in seen:
                    continue
                seen.add(key)
                found[side].append(Finding(kind=ent.ent_id_, certainty=cert))
    return Exam(breasts={s: Breast(findings=f) for s, f in found.items()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, default=500, help="writer-produced reports to add")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    pinned = pin_one_core()

    from mammofm.reports import parse
    from mammofm.reports.metrics import field_scores

    texts, gold, holdout = corpus(args.synthetic)
    hold_texts = [t for _, t, _ in holdout]
    hold_exams = [g for _, _, g in holdout]
    gold_texts = [t for _, t, _ in gold]
    gold_exams = [g for _, _, g in gold]
    rows = []
    speed_before = python_speed()
    wall, cpu = time_it(parse, texts, args.repeat)
    ours = field_scores([parse(t) for t in gold_texts], gold_exams)
    ours_h = field_scores([parse(t) for t in hold_texts], hold_exams)
    rows.append(("mammofm rule engine (full record)", wall, cpu, ours["findings"].f1,
                 ours["all"].f1, ours_h["findings"].f1, ours_h["all"].f1))
    try:
        nlp = build_negspacy()
    except ImportError as exc:
        rows.append((f"spaCy + negspaCy: not installed ({exc.name})", float("nan"),
                     float("nan"), float("nan"), float("nan"), float("nan"), float("nan")))
    else:
        wall_n, cpu_n = time_it(lambda t: negspacy_findings(nlp, t), texts, args.repeat)
        neg = field_scores([negspacy_findings(nlp, t) for t in gold_texts], gold_exams)
        neg_h = field_scores([negspacy_findings(nlp, t) for t in hold_texts], hold_exams)
        rows.append(("spaCy + negspaCy (kinds + negation only)", wall_n, cpu_n,
                     neg["findings"].f1, float("nan"), neg_h["findings"].f1, float("nan")))
    speed = (speed_before + python_speed()) / 2
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"{len(texts):,} reports ({len(gold_texts)} gold + {args.synthetic} writer-made), "
          f"mean {np.mean([len(t) for t in texts]):.0f} chars; {pinned}; "
          f"load average {load[0]:.1f} on {os.cpu_count()} CPUs; "
          f"sum(range(1000)) takes {speed:.1f} us of CPU (about 8 on an idle core)")
    print(f"{'parser':44s} {'reports/s':>10s} {'per CPU-s':>10s} {'ms/report':>10s} "
          f"{'findings F1':>12s} {'all F1':>8s} {'held-out findings':>18s} {'all':>6s}")
    for name, w, c, f1, allf1, hf1, hall in rows:
        rate = 1.0 / w if w == w and w > 0 else float("nan")
        crate = 1.0 / c if c == c and c > 0 else float("nan")
        print(f"{name:44s} {rate:10.0f} {crate:10.0f} {w * 1000:10.2f} {f1:12.3f} {allf1:8.3f} "
              f"{hf1:18.3f} {hall:6.3f}")
    print("F1 on the 61-report gold corpus (the rule engine was tuned on it) and on the 12 "
          "held-out reports")
    print("target: >= 5,000 reports/s on one core (mammofm rule engine); 'per CPU-s' counts "
          "only the CPU time this process got")
    if args.json:
        args.json.write_text(json.dumps(
            [{"parser": n, "reports_per_s": 1 / w if w == w else None,
              "reports_per_cpu_s": 1 / c if c == c else None, "findings_f1": f, "all_f1": a,
              "holdout_findings_f1": hf, "holdout_all_f1": ha}
             for n, w, c, f, a, hf, ha in rows] + [{"sum_range_1000_us": speed}], indent=2))


if __name__ == "__main__":
    main()
