"""A small WordPiece tokenizer trained here (with the ``tokenizers`` library) on report text.

The default text tower is trained from scratch, so its vocabulary comes from the reports it
will read. With no reports at hand, the corpus is the BI-RADS lexicon itself (every phrase and
synonym), plus a full printable alphabet so no ordinary character becomes [UNK].
"""

from __future__ import annotations

import string
from collections.abc import Iterable

from tokenizers import (Tokenizer, decoders, models, normalizers, pre_tokenizers, processors,
                        trainers)
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS: tuple[str, ...] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def lexicon_corpus() -> list[str]:
    """Every phrase and synonym of the BI-RADS lexicon, one string each, in a fixed order."""
    from mammofm.birads import lexicon

    out: list[str] = []
    for name in lexicon.fields():
        for t in lexicon.terms(name):
            out.append(t.phrase)
            out.extend(t.synonyms)
    return out


def _blank(model: models.Model) -> Tokenizer:
    tok = Tokenizer(model)
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    return tok


def train_wordpiece(texts: Iterable[str] | None = None, vocab_size: int = 2048
                    ) -> PreTrainedTokenizerFast:
    """Train a lower-casing WordPiece tokenizer on the lexicon + ``texts``; deterministic."""
    corpus = lexicon_corpus() + [t for t in (texts or []) if t]
    alphabet = sorted(set(string.ascii_lowercase + string.digits + string.punctuation))
    # tokenizers' trainer numbers the "##x" continuation pieces in hash-map order, which makes
    # tie-breaking (and so the vocabulary) differ between runs (huggingface/tokenizers#1794).
    # Registering them up front fixes their ids; the final tokenizer is rebuilt from the vocab
    # so they are ordinary pieces, not special tokens.
    scratch = _blank(models.WordPiece(unk_token="[UNK]"))
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS) + [f"##{c}" for c in alphabet],
        initial_alphabet=alphabet, show_progress=False)
    scratch.train_from_iterator(corpus, trainer=trainer, length=len(corpus))
    vocab = scratch.get_vocab()
    tok = _blank(models.WordPiece(vocab=vocab, unk_token="[UNK]", continuing_subword_prefix="##"))
    tok.add_special_tokens(list(SPECIAL_TOKENS))
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
