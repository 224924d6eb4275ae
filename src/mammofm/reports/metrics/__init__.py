"""Report metrics: field-level agreement of Exam records, clinical efficacy through the parser
(with MammoRG's definitions and bootstrap CIs), and NLG text metrics (BLEU, ROUGE-L, METEOR,
CIDEr-D). ``score_reports`` gives all of them for generated vs reference texts."""

from __future__ import annotations

from collections.abc import Sequence

from .clinical import (
    ClinicalScorer,
    all_scores,
    bootstrap_ci,
    clinical_efficacy,
    field_level_scores,
    mammorg_scores,
    positive_findings,
    relations,
)
from .fields import GROUPS, PRF, differences, facts, field_scores
from .nlg import bleu, cider_d, meteor, nlg_scores, rouge_l, tokenize

__all__ = ["GROUPS", "PRF", "ClinicalScorer", "all_scores", "bleu", "bootstrap_ci", "cider_d",
           "clinical_efficacy", "differences", "facts", "field_level_scores", "field_scores",
           "mammorg_scores", "meteor", "nlg_scores", "positive_findings", "relations", "rouge_l",
           "score_reports", "tokenize"]


def score_reports(generated: Sequence[str], reference: Sequence[str], n_boot: int = 1000,
                  seed: int = 0) -> dict[str, dict[str, dict[str, float]] | dict[str, float]]:
    """Clinical efficacy (with 95% CIs) and NLG metrics of generated vs reference reports."""
    return {"clinical": clinical_efficacy(generated, reference, n_boot=n_boot, seed=seed),
            "nlg": nlg_scores(generated, reference), "n_reports": {"n": float(len(generated))}}
