"""The finding kinds that get boxes (detection classes), taken from the BI-RADS schema."""

from __future__ import annotations

from mammofm.birads import FindingKind

#: detection classes, in index order: ``box_labels`` in dataset items index into this tuple.
#: Lesions only (implants, skin lesions and ducts are not detection targets).
BOX_CLASSES: tuple[str, ...] = tuple(k.value for k in (
    FindingKind.mass,
    FindingKind.calcification,
    FindingKind.asymmetry,
    FindingKind.architectural_distortion,
    FindingKind.lymph_node,
))


def box_class_index(kind: str) -> int | None:
    """Index of a finding kind in BOX_CLASSES, or None for a kind that gets no box."""
    try:
        return BOX_CLASSES.index(str(kind))
    except ValueError:
        return None
