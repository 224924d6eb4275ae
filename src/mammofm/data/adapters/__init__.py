"""Dataset adapters: public mammography datasets -> manifest + Exam labels + annotations."""

from __future__ import annotations

from .base import LICENCE_NOTES, AdapterError, AdapterResult, licence_warnings
from .export import convert_dataset, write_result
from .registry import list_adapters, load_adapter

__all__ = ["LICENCE_NOTES", "AdapterError", "AdapterResult", "convert_dataset", "list_adapters",
           "licence_warnings", "load_adapter", "write_result"]
