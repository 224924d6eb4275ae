"""Adapter registry: one line per dataset (name -> module:class), imported on first use."""

from __future__ import annotations

import importlib

from .base import Adapter

_ADAPTERS: dict[str, str] = {
    "vindr": "mammofm.data.adapters.vindr:VinDrMammo",
    "cbis_ddsm": "mammofm.data.adapters.cbis_ddsm:CBISDDSM",
    "rsna": "mammofm.data.adapters.rsna:RSNAScreening",
    "embed": "mammofm.data.adapters.embed:EMBED",
    "cmmd": "mammofm.data.adapters.cmmd:CMMD",
    "inbreast": "mammofm.data.adapters.inbreast:INbreast",
}


def list_adapters() -> list[str]:
    """Registered dataset names."""
    return sorted(_ADAPTERS)


def load_adapter(name: str) -> Adapter:
    """An adapter instance by name (case and '-' insensitive: 'CBIS-DDSM' works)."""
    key = name.strip().lower().replace("-", "_")
    if key not in _ADAPTERS:
        raise KeyError(f"unknown dataset adapter {name!r}; known: {', '.join(list_adapters())}")
    module, cls = _ADAPTERS[key].split(":")
    return getattr(importlib.import_module(module), cls)()
