"""The benchmark's vocabulary: a Task, what it returns, the model it judges, and the registry.

A task is one small object: it declares its category, its adaptation protocol and its primary
metric; ``prepare(ctx)`` builds what it needs once per benchmark (labels, questions, splits) and
``run(model, ctx)`` adapts the model with the task's protocol and measures it on the internal
test set and, when the context has one, on the external (shifted-site) test set. Tasks register
themselves with ``@register_task``; ``list_tasks()`` lists them with their category.

Nothing here imports torch: the registry must be cheap to list.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from mammofm.common.seed import derive_seed

CATEGORIES: tuple[str, ...] = ("classification", "detection", "segmentation", "retrieval", "vqa")
#: "frozen": no adaptation at all (retrieval on frozen embeddings)
PROTOCOLS: tuple[str, ...] = ("frozen_linear", "light_head", "finetune", "zero_shot", "frozen")
SITES: tuple[str, ...] = ("internal", "external")


class TaskError(RuntimeError):
    """A task that cannot run on a model (e.g. zero-shot on a model without a text tower)."""


class TaskNotApplicable(TaskError):
    """The task does not apply to this model; the runner records it as "n/a", not a failure."""


# --- budgets ---------------------------------------------------------------------------------
@dataclass
class Budget:
    """How much adaptation work a task may do. Defaults fit a 2-core CPU in seconds per task."""

    batch_size: int = 16
    #: light heads (MLPs, detection/segmentation heads) on frozen features
    head_epochs: int = 40
    head_steps: int = 150
    head_lr: float = 3e-3
    #: end-to-end fine-tuning of encoder + head (mammofm.adapt.finetune)
    finetune_epochs: int = 2
    finetune_lr: float = 3e-4
    #: bootstrap resamples for the 95% confidence intervals
    bootstrap: int = 200
    #: fractions of the training set for the data-efficiency curve (frozen-linear tasks)
    data_fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
    #: cap on training images per task (None = all)
    max_train_images: int | None = None
    #: task-specific knobs: {"task_name.key": value} or {"key": value}
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None, task: str | None = None) -> Any:
        """A knob by name: a task-specific ``extra["task.key"]``, then ``extra[key]``, then a
        field, then ``default``."""
        if task is not None and f"{task}.{key}" in self.extra:
            return self.extra[f"{task}.{key}"]
        if key in self.extra:
            return self.extra[key]
        names = {f.name for f in fields(self)}
        return getattr(self, key) if key in names else default

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Budget:
        """Known keys become fields; the rest go to ``extra``."""
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        known = {k: data.pop(k) for k in list(data) if k in names and k != "extra"}
        if "data_fractions" in known:
            known["data_fractions"] = tuple(float(x) for x in known["data_fractions"])
        extra = dict(data.pop("extra", {}) or {})
        extra.update(data)
        return cls(**known, extra=extra)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_MISSING = object()


# --- results ---------------------------------------------------------------------------------
@dataclass
class Curve:
    """One plotted curve of one model on one task (ROC, FROC, data efficiency, ...).

    The report draws every model's curve of the same (task, curve name) in one PNG.
    """

    kind: str  # "roc" | "froc" | "pr" | "data_efficiency" | any other name
    x: list[float]
    y: list[float]
    xlabel: str = ""
    ylabel: str = ""
    label: str = ""  # legend suffix, e.g. "AUC 0.81"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "x": [float(v) for v in self.x],
                "y": [float(v) for v in self.y], "xlabel": self.xlabel, "ylabel": self.ylabel,
                "label": self.label}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Curve:
        return cls(d["kind"], list(d["x"]), list(d["y"]), d.get("xlabel", ""),
                   d.get("ylabel", ""), d.get("label", ""))


@dataclass
class TaskResult:
    """What one task measured for one model.

    ``metrics`` are on the internal test set (the training site); ``external`` holds the same
    keys on the shifted site's test set (empty when the benchmark has no external cohort).
    Curve names may carry a site prefix ("external/roc"); plain names mean internal.
    """

    metrics: dict[str, float]
    primary: str
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    external: dict[str, float] = field(default_factory=dict)
    external_ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    curves: dict[str, Curve] = field(default_factory=dict)
    notes: str = ""
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        if self.primary not in self.metrics:
            raise ValueError(f"primary metric {self.primary!r} is not among the metrics "
                             f"{sorted(self.metrics)}")

    @property
    def score(self) -> float:
        """The primary metric on the internal test set."""
        return float(self.metrics[self.primary])

    def drop(self) -> dict[str, float]:
        """Internal minus external, per metric present in both (positive = worse off-site
        when higher is better)."""
        return {k: float(self.metrics[k]) - float(v) for k, v in self.external.items()
                if k in self.metrics and _finite(v) and _finite(self.metrics[k])}

    def as_dict(self) -> dict[str, Any]:
        return {
            "metrics": {k: _num(v) for k, v in self.metrics.items()},
            "primary": self.primary,
            "ci": {k: [_num(a), _num(b)] for k, (a, b) in self.ci.items()},
            "external": {k: _num(v) for k, v in self.external.items()},
            "external_ci": {k: [_num(a), _num(b)] for k, (a, b) in self.external_ci.items()},
            "drop": {k: _num(v) for k, v in self.drop().items()},
            "curves": {k: c.as_dict() for k, c in self.curves.items()},
            "notes": self.notes,
            "higher_is_better": self.higher_is_better,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaskResult:
        def fl(m: dict[str, Any]) -> dict[str, float]:
            return {k: (math.nan if v is None else float(v)) for k, v in m.items()}

        def cis(m: dict[str, Any]) -> dict[str, tuple[float, float]]:
            return {k: (math.nan if a is None else float(a), math.nan if b is None else float(b))
                    for k, (a, b) in m.items()}

        return cls(metrics=fl(d["metrics"]), primary=d["primary"], ci=cis(d.get("ci", {})),
                   external=fl(d.get("external", {})), external_ci=cis(d.get("external_ci", {})),
                   curves={k: Curve.from_dict(c) for k, c in d.get("curves", {}).items()},
                   notes=d.get("notes", ""), higher_is_better=d.get("higher_is_better", True))


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _num(v: Any) -> float | None:
    """JSON-safe float (NaN -> None)."""
    return float(v) if _finite(v) else None


# --- the model being judged ------------------------------------------------------------------
@dataclass
class BenchModel:
    """A model under test: its image tower, and its CLIP model when it has a text tower.

    ``source`` says where it came from (a saved folder, or "scratch:<registry name>").
    """

    name: str
    encoder: Any  # mammofm.models ImageEncoder (nn.Module)
    clip: Any | None = None  # mammofm.models MammoCLIP, or None for an image-only model
    source: str = ""
    #: why the model could not be loaded ("" when it loaded); every task then fails with it
    load_error: str = ""

    @property
    def has_text(self) -> bool:
        return self.clip is not None


# --- the context every task runs in ----------------------------------------------------------
@dataclass
class BenchContext:
    """Data, output folder, seed, device and budget shared by every task of one benchmark.

    ``cohort`` / ``external_cohort`` are ``mammofm.data.Cohort`` objects (``.manifest`` with
    label columns and ``split``, ``.annotations``, ``.exams``, ``.reports``). ``cache`` is
    shared across tasks so, e.g., pooled features are extracted once per model and site.
    """

    cohort: Any
    external_cohort: Any | None = None
    out_dir: Path = Path("benchmark")
    seed: int = 0
    device: str = "cpu"
    budget: Budget = field(default_factory=Budget)
    cache: dict[Any, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        if isinstance(self.budget, dict):
            self.budget = Budget.from_dict(self.budget)

    def sites(self) -> Iterator[tuple[str, Any]]:
        """("internal", cohort) then ("external", external_cohort) when there is one."""
        yield "internal", self.cohort
        if self.external_cohort is not None:
            yield "external", self.external_cohort

    def cohort_of(self, site: str) -> Any:
        if site == "internal":
            return self.cohort
        if site == "external" and self.external_cohort is not None:
            return self.external_cohort
        raise KeyError(f"no {site!r} cohort in this benchmark")

    def split(self, site: str, split: str) -> Any:
        """The usable manifest rows (status ok) of one split ("train" | "val" | "test")."""
        m = self.cohort_of(site).manifest
        if "status" in m.columns:
            m = m[(m["status"].fillna("ok") == "ok")]
        return m[m["split"] == split].reset_index(drop=True)

    def seed_for(self, *keys: object) -> int:
        """A stable seed for one purpose (task, model, ...) derived from the benchmark seed."""
        return derive_seed(self.seed, *keys) % (2**31)

    def task_dir(self, task: str, model: str | None = None) -> Path:
        d = self.out_dir / "tasks" / task
        if model is not None:
            d = d / model
        d.mkdir(parents=True, exist_ok=True)
        return d


# --- tasks -----------------------------------------------------------------------------------
class Task:
    """Base class of every benchmark task. Subclasses set the class attributes and ``run``."""

    name: ClassVar[str] = ""
    category: ClassVar[str] = ""
    protocol: ClassVar[str] = "frozen_linear"
    primary: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    description: ClassVar[str] = ""

    def prepare(self, ctx: BenchContext) -> None:
        """Build what the task needs once per benchmark (labels, questions). Default: nothing."""

    def run(self, model: BenchModel, ctx: BenchContext) -> TaskResult:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.category}, {self.protocol})>"


@dataclass(frozen=True)
class TaskInfo:
    """A registry row: enough to list and select a task without building it."""

    name: str
    category: str
    protocol: str
    description: str
    factory: Callable[[], Task]


_REGISTRY: dict[str, TaskInfo] = {}


def register_task(obj: Any = None, *, name: str | None = None, category: str | None = None,
                  protocol: str | None = None, description: str | None = None) -> Any:
    """Register a Task class (as a decorator) or a factory returning a Task.

    ``@register_task`` on a class reads ``name``/``category``/``protocol`` from it; a factory
    (e.g. ``functools.partial(ClassificationTask, spec)``) passes them as keywords.
    """

    def deco(target: Any) -> Any:
        n = name or getattr(target, "name", "")
        c = category or getattr(target, "category", "")
        p = protocol or getattr(target, "protocol", "frozen_linear")
        d = description or getattr(target, "description", "") or (target.__doc__ or "")
        if not n:
            raise ValueError(f"task {target!r} has no name")
        if c not in CATEGORIES:
            raise ValueError(f"task {n!r}: category {c!r} is not one of {', '.join(CATEGORIES)}")
        if p not in PROTOCOLS:
            raise ValueError(f"task {n!r}: protocol {p!r} is not one of {', '.join(PROTOCOLS)}")
        if n in _REGISTRY and _REGISTRY[n].factory is not target:
            raise ValueError(f"task {n!r} is registered twice")
        _REGISTRY[n] = TaskInfo(n, c, p, d.strip().splitlines()[0] if d.strip() else "", target)
        return target

    return deco(obj) if obj is not None else deco


def _load_tasks() -> None:
    importlib.import_module("mammofm.eval.tasks")


def list_tasks(category: str | None = None) -> list[tuple[str, str]]:
    """(name, category) of every registered task, in registration order."""
    _load_tasks()
    return [(t.name, t.category) for t in _REGISTRY.values()
            if category is None or t.category == category]


def task_info(name: str) -> TaskInfo:
    _load_tasks()
    if name not in _REGISTRY:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def get_task(name: str) -> Task:
    """A fresh instance of the named task."""
    task = task_info(name).factory()
    if not isinstance(task, Task):
        raise TypeError(f"task factory for {name!r} returned {type(task).__name__}, not a Task")
    return task


def select_tasks(spec: str) -> list[str]:
    """Task names for ``all`` | a category | ``NAME[,NAME...]`` (categories may be mixed in)."""
    _load_tasks()
    names: list[str] = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        if part == "all":
            picked = list(_REGISTRY)
        elif part in CATEGORIES:
            picked = [n for n, t in _REGISTRY.items() if t.category == part]
        elif part in _REGISTRY:
            picked = [part]
        else:
            raise KeyError(f"unknown task or category {part!r}; use all, one of "
                           f"{', '.join(CATEGORIES)}, or task names: {', '.join(_REGISTRY)}")
        names += [n for n in picked if n not in names]
    if not names:
        raise KeyError(f"task selection {spec!r} selects nothing")
    return names
