"""Report metrics: field-level agreement of Exam records, clinical efficacy through the parser
(with MammoRG's definitions), and NLG text metrics (BLEU, ROUGE-L, METEOR, CIDEr-D)."""

from __future__ import annotations

from .fields import GROUPS, PRF, differences, facts, field_scores

__all__ = ["GROUPS", "PRF", "differences", "facts", "field_scores"]
