"""The config of one CLIP pretraining run: a dataclass, saved as JSON next to its checkpoints.

Defaults follow the published Mammo-CLIP recipe where it is size-free (AdamW, cosine schedule,
temperature from the model config, image-image and text-text terms); sizes default to what a
laptop CPU trains in minutes. ``lr`` 5e-5 is the paper's value for pretrained towers; towers
trained from scratch (the CPU default) want ~1e-3.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mammofm.common.atomic import atomic_write_text

CONFIG_NAME = "train_config.json"


class TrainConfigError(ValueError):
    """A training config that cannot be used, naming its source and the bad key."""


@dataclass
class ClipTrainConfig:
    output_dir: str = "runs/clip"
    model: str = "mammoclip-tiny"                 # registry name or JSON path
    model_overrides: dict[str, Any] = field(default_factory=dict)  # e.g. {"embed_dim": 256}
    image_size: tuple[int, int] | None = None     # None: the model config's; else resize to it
    seed: int = 0
    # data
    # the split(s) whose reports pretrain, comma-separated: a hospital pretrains on every
    # reported exam it has ("train,val") and labels only some of them
    train_split: str = "train"
    views: tuple[str, ...] = ("CC", "MLO")        # the images of a breast that are positives
    labelled_manifests: list[str] = field(default_factory=list)  # image-label sets -> text
    train_tokenizer: bool = True                  # bert-small: WordPiece on the training reports
    augment: bool = True
    augment_strength: float = 1.0
    text_drop_prob: float = 0.2                   # sentence dropout of the text augmentation
    text_shuffle: bool = True
    # breasts whose texts state the same composition and findings (read by the report parser)
    # are positives of each other, not negatives (UniCL / MedCLIP-style; see train.positives)
    label_positives: bool = True
    # report labels as targets (MedKLIP-style): a linear head on the pooled image features
    # predicts the finding presence (BCE) and composition (CE) the parser read from each
    # breast's text; training only, the saved model has no head. Needs label_positives
    # (an error otherwise, not a silent no-op).
    report_label_weight: float = 0.0
    report_composition_weight: float = 0.0
    num_workers: int = 0
    # optimisation
    batch_size: int = 16                          # breasts per step and process
    accumulate_grad_batches: int = 1
    max_epochs: int = 5
    max_steps: int = -1                           # > 0 stops earlier
    lr: float = 5e-5
    # the text tower's own rate (None: ``lr``): a pretrained text tower (MiniLM, BERT) next to
    # an image tower trained from scratch needs a far smaller one than the image tower
    text_lr: float | None = None
    weight_decay: float = 0.1
    warmup_steps: int = 0
    # the recipe's extra terms, at 0.1: at 1.0 on a few hundred synthetic breasts the
    # image-image term collapsed the image embeddings (cosine 0.997) and the text-text term
    # taught the text tower report style instead of findings (zero-shot at chance); 0.1
    # measured best of {0, 0.1, 1} (benchmarks/mammoclip.py notes)
    image_image_weight: float = 0.1
    text_text_weight: float = 0.1
    gradient_clip_val: float | None = 1.0
    recalibrate_bn: bool = True                   # recompute BN stats on the train images at the end
    precision: str = "32-true"                    # "bf16-mixed" (CPU autocast ok), "16-mixed" GPU
    channels_last: bool = False                   # NHWC image tower (faster convs on GPUs)
    # hardware / scale
    accelerator: str = "cpu"                      # "auto", "gpu", ...
    devices: int | str = 1
    num_nodes: int = 1
    strategy: str = "auto"                        # "ddp", "ddp_spawn", "fsdp", ...
    # bookkeeping
    log_every_n_steps: int = 5
    checkpoint_every_n_epochs: int = 1
    resume: bool = True                           # continue from output_dir/checkpoints/last.ckpt
    progress_bar: bool = True
    tensorboard: bool = True

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def save(self, directory: str | os.PathLike[str]) -> Path:
        path = Path(directory) / CONFIG_NAME
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> ClipTrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TrainConfigError(f"{source}: unknown training option(s) {', '.join(unknown)}")
        data = dict(data)
        for k in ("image_size", "views"):
            if data.get(k) is not None:
                data[k] = tuple(data[k])
        return cls(**data)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ClipTrainConfig:
        path = Path(path)
        if path.is_dir():
            path = path / CONFIG_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TrainConfigError(f"{path}: training config not found") from None
        except json.JSONDecodeError as exc:
            raise TrainConfigError(f"{path}: not valid JSON ({exc})") from exc
        return cls.from_dict(data, source=str(path))
