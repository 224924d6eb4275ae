"""Dataset adapters: public mammography datasets -> manifest + Exam labels + annotations."""

from __future__ import annotations

from .base import AdapterError, AdapterResult
from .registry import list_adapters, load_adapter

__all__ = ["AdapterError", "AdapterResult", "list_adapters", "load_adapter"]
