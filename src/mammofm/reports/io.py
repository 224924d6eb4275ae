"""Reading report collections (CSV, JSON Lines, plain text) and parsing them in bulk.

Rows stream one at a time, so a file of millions of reports needs no more memory than one.
A bad row (broken JSON, no text column, text that is not a string) is yielded as an error
naming the file, the row and the cause; the caller records it and goes on. Output is written
through ``mammofm.common.atomic``: a killed job leaves no half-written file behind.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammofm.common.atomic import atomic_open

__all__ = ["ParseSummary", "ReportRow", "iter_reports", "parse_file", "read_texts"]

TEXT_COLUMNS = ("text", "report", "report_text", "findings", "body")
ID_COLUMNS = ("study_id", "id", "accession", "acc_anon", "report_id")
_TXT_SEPARATOR = re.compile(r"^\s*(?:-{3,}|={3,}|\f)\s*$")


@dataclass
class ReportRow:
    """One input row: its 1-based row number, id, text; or the error that makes it unreadable."""

    row: int
    id: str | None
    text: str | None
    error: str | None = None


def _pick(columns: list[str], wanted: str | None, options: tuple[str, ...]) -> str | None:
    if wanted:
        return wanted if wanted in columns else None
    lower = {c.lower(): c for c in columns}
    return next((lower[o] for o in options if o in lower), None)


def iter_reports(path: str | Path, text_column: str | None = None,
                 id_column: str | None = None) -> Iterator[ReportRow]:
    """Report rows of a .csv, .jsonl (or .ndjson) or .txt file, streamed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _iter_csv(path, text_column, id_column)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        yield from _iter_jsonl(path, text_column, id_column)
    elif suffix == ".txt":
        yield from _iter_txt(path)
    else:
        raise ValueError(f"{path}: unknown report file type {suffix!r}; use .csv, .jsonl or .txt")


def _iter_csv(path: Path, text_column: str | None, id_column: str | None) -> Iterator[ReportRow]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.DictReader(fh)
        cols = list(reader.fieldnames or [])
        tcol = _pick(cols, text_column, TEXT_COLUMNS)
        icol = _pick(cols, id_column, ID_COLUMNS)
        if tcol is None:
            raise ValueError(f"{path}: no report text column (looked for "
                             f"{text_column or ', '.join(TEXT_COLUMNS)}; found {', '.join(cols)})")
        for i, rec in enumerate(reader, start=1):
            text = rec.get(tcol)
            rid = rec.get(icol) if icol else None
            if text is None:
                yield ReportRow(i, rid, None, f"{path}: row {i}: no value in column {tcol!r}")
            else:
                yield ReportRow(i, rid, text)


def _iter_jsonl(path: Path, text_column: str | None, id_column: str | None) -> Iterator[ReportRow]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ReportRow(i, None, None, f"{path}: line {i}: not JSON ({exc.msg})")
                continue
            if not isinstance(rec, dict):
                yield ReportRow(i, None, None, f"{path}: line {i}: a JSON {type(rec).__name__}, "
                                               f"not an object")
                continue
            cols = list(rec)
            tcol = _pick(cols, text_column, TEXT_COLUMNS)
            icol = _pick(cols, id_column, ID_COLUMNS)
            rid = None if icol is None or rec.get(icol) is None else str(rec[icol])
            if tcol is None:
                yield ReportRow(i, rid, None, f"{path}: line {i}: no report text field "
                                              f"({text_column or ', '.join(TEXT_COLUMNS)})")
            elif not isinstance(rec[tcol], str):
                yield ReportRow(i, rid, None, f"{path}: line {i}: field {tcol!r} is a "
                                              f"{type(rec[tcol]).__name__}, not text")
            else:
                yield ReportRow(i, rid, rec[tcol])


def _iter_txt(path: Path) -> Iterator[ReportRow]:
    """A .txt file holds one report, or several separated by lines of --- (or form feeds)."""
    buf: list[str] = []
    n = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if _TXT_SEPARATOR.match(line):
                if "".join(buf).strip():
                    n += 1
                    yield ReportRow(n, f"{path.stem}:{n}", "".join(buf))
                buf = []
            else:
                buf.append(line)
    if "".join(buf).strip():
        n += 1
        yield ReportRow(n, f"{path.stem}:{n}" if n > 1 else path.stem, "".join(buf))


@dataclass
class ParseSummary:
    rows: int = 0
    parsed: int = 0
    empty: int = 0
    failed: int = 0
    errors: list[str] | None = None


def parse_file(src: str | Path, out: str | Path, *, text_column: str | None = None,
               id_column: str | None = None, evidence: bool = True,
               on_progress: Callable[[int], None] | None = None,
               max_errors_kept: int = 1000) -> ParseSummary:
    """Parse every report of ``src`` into ``out`` (JSON Lines, written atomically).

    Each output line: ``{"row", "id", "exam"}``; unreadable rows are counted, kept (the first
    ``max_errors_kept``) in the summary, and skipped. ``on_progress(row)`` is called per row.
    """
    from mammofm.reports import parse

    summary = ParseSummary(errors=[])
    with atomic_open(out, "w", encoding="utf-8") as fh:
        for row in iter_reports(src, text_column, id_column):
            summary.rows += 1
            if on_progress is not None:
                on_progress(row.row)
            if row.error is not None or row.text is None:
                summary.failed += 1
                if len(summary.errors) < max_errors_kept:  # type: ignore[arg-type]
                    summary.errors.append(row.error or f"{src}: row {row.row}: no text")  # type: ignore[union-attr]
                continue
            exam = parse(row.text)
            if exam.empty_reason:
                summary.empty += 1
            else:
                summary.parsed += 1
            data = exam.model_dump(mode="json", exclude_defaults=True)
            if not evidence:
                data = _strip_evidence(data)
            fh.write(json.dumps({"row": row.row, "id": row.id, "exam": data},
                                ensure_ascii=False) + "\n")
    return summary


def _strip_evidence(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_evidence(v) for k, v in node.items() if k != "evidence"}
    if isinstance(node, list):
        return [_strip_evidence(v) for v in node]
    return node


def read_texts(path: str | Path, text_column: str | None = None,
               id_column: str | None = None) -> tuple[list[str | None], list[str]]:
    """(ids, texts) of a report file, for scoring; unreadable rows raise with their cause."""
    ids: list[str | None] = []
    texts: list[str] = []
    for row in iter_reports(path, text_column, id_column):
        if row.error is not None or row.text is None:
            raise ValueError(row.error or f"{path}: row {row.row}: no text")
        ids.append(row.id)
        texts.append(row.text)
    return ids, texts
