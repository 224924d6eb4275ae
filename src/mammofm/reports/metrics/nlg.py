"""Text-overlap metrics of generated reports: BLEU-1..4, ROUGE-L, METEOR, CIDEr-D.

BLEU comes from sacrebleu and ROUGE-L from rouge-score. METEOR is NLTK's implementation run
with no synonym stage: WordNet is a download and nothing here downloads at run time, so
METEOR matches exact words and Porter stems only (a "METEOR exact+stem"; it is slightly lower
than METEOR with WordNet synonyms). CIDEr-D is implemented here in a few lines, term for term
as in the coco-caption reference (``pycocoevalcap.cider``), which the tests check it against,
including that reference's length penalty on bigram counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

__all__ = ["bleu", "cider_d", "meteor", "nlg_scores", "rouge_l", "tokenize"]

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-cased word and number tokens (punctuation dropped), as captioning metrics use."""
    return _TOKEN.findall(text.lower())


def _check(hyps: Sequence[str], refs: Sequence[str]) -> None:
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} generated reports but {len(refs)} references")
    if not hyps:
        raise ValueError("no reports to score")


def bleu(hyps: Sequence[str], refs: Sequence[str], max_order: int = 4) -> float:
    """Corpus BLEU-n in [0, 1] (sacrebleu, 13a tokenisation, lower case)."""
    from sacrebleu.metrics import BLEU

    _check(hyps, refs)
    metric = BLEU(max_ngram_order=max_order, lowercase=True, effective_order=True)
    return metric.corpus_score(list(hyps), [list(refs)]).score / 100.0


def rouge_l(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Mean ROUGE-L F-measure (rouge-score)."""
    from rouge_score import rouge_scorer

    _check(hyps, refs)
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    return sum(scorer.score(r, h)["rougeL"].fmeasure for h, r in zip(hyps, refs)) / len(hyps)


class _NoSynonyms:
    """Stands in for WordNet: no synonyms, so METEOR uses exact and stem matches only."""

    def synsets(self, *args: object, **kwargs: object) -> list:
        return []


def meteor(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Mean METEOR (NLTK; exact + Porter-stem stages, no WordNet synonyms)."""
    from nltk.stem.porter import PorterStemmer
    from nltk.translate.meteor_score import single_meteor_score

    _check(hyps, refs)
    stemmer, wn = PorterStemmer(), _NoSynonyms()
    total = 0.0
    for h, r in zip(hyps, refs):
        ht, rt = tokenize(h), tokenize(r)
        if ht and rt:
            total += single_meteor_score(rt, ht, stemmer=stemmer, wordnet=wn)
    return total / len(hyps)


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    c: Counter[tuple[str, ...]] = Counter()
    for k in range(1, n + 1):
        for i in range(len(tokens) - k + 1):
            c[tuple(tokens[i:i + k])] += 1
    return c


def cider_d(hyps: Sequence[str], refs: Sequence[str | Sequence[str]], n: int = 4,
            sigma: float = 6.0) -> tuple[float, list[float]]:
    """CIDEr-D (corpus mean, per-report scores) of whitespace-tokenised texts; ``refs`` items
    may be lists of references. The document frequencies come from this corpus's references.

    TF-IDF n-gram vectors (n = 1..4, document frequency over the references), clipped cosine
    similarity, Gaussian length penalty, mean over n, mean over references, times 10.
    """
    ref_lists = [[r] if isinstance(r, str) else list(r) for r in refs]
    _check(hyps, ref_lists)  # type: ignore[arg-type]
    cooked_hyp = [_ngrams(h.split(), n) for h in hyps]
    cooked_refs = [[_ngrams(x.split(), n) for x in rs] for rs in ref_lists]
    df: Counter[tuple[str, ...]] = Counter()
    for rs in cooked_refs:
        df.update({g for r in rs for g in r})
    log_n = math.log(float(len(cooked_refs)))

    def vec(counts: Counter[tuple[str, ...]]):
        v: list[dict[tuple[str, ...], float]] = [{} for _ in range(n)]
        norm = [0.0] * n
        length = 0
        for g, tf in counts.items():
            k = len(g) - 1
            w = float(tf) * (log_n - math.log(max(1.0, df[g])))
            v[k][g] = w
            norm[k] += w * w
            if k == 1:  # the reference implementation measures length in bigrams
                length += tf
        return v, [math.sqrt(x) for x in norm], length

    scores = []
    for h, rs in zip(cooked_hyp, cooked_refs):
        vh, nh, lh = vec(h)
        acc = [0.0] * n
        for r in rs:
            vr, nr, lr = vec(r)
            penalty = math.exp(-((lh - lr) ** 2) / (2 * sigma ** 2))
            for k in range(n):
                val = sum(min(w, vr[k].get(g, 0.0)) * vr[k].get(g, 0.0) for g, w in vh[k].items())
                if nh[k] != 0 and nr[k] != 0:
                    val /= nh[k] * nr[k]
                acc[k] += val * penalty
        scores.append(sum(acc) / n / len(rs) * 10.0)
    return sum(scores) / len(scores), scores


def nlg_scores(hyps: Sequence[str], refs: Sequence[str]) -> dict[str, float]:
    """BLEU-1..4, ROUGE-L, METEOR (exact+stem) and CIDEr-D of generated vs reference reports."""
    _check(hyps, refs)
    out = {f"bleu{k}": bleu(hyps, refs, k) for k in (1, 2, 3, 4)}
    out["rouge_l"] = rouge_l(hyps, refs)
    out["meteor"] = meteor(hyps, refs)
    tok_h = [" ".join(tokenize(h)) for h in hyps]
    tok_r = [" ".join(tokenize(r)) for r in refs]
    out["cider_d"] = cider_d(tok_h, tok_r)[0]
    return out
