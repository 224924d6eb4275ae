"""Write a benchmark's results: results.json, results.csv, report.md and report.html + PNGs.

Both reports hold the same content: the average rank per model (internal and external site,
and per category), one table per category with each task's primary metric and 95% CI per
model, the external score and the drop from internal, the failures, and every figure. The HTML
links its figures by relative path and carries a small script that marks, on load, which
images rendered (``data-rendered`` on each ``<img>``, ``data-images-ok`` on ``<body>``), so a
headless browser's DOM dump shows whether the page is whole.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mammofm.common.atomic import atomic_path, atomic_write_text

from .base import CATEGORIES
from .plots import Figure, curve_figures, rank_figure
from .runner import BenchmarkResults
from .tables import average_rank, category_rank, long_table


@dataclass(frozen=True)
class ReportPaths:
    json: Path
    csv: Path
    markdown: Path
    html: Path
    figures: list[Path]


def _fmt(v: float, digits: int = 3) -> str:
    return "–" if v is None or not math.isfinite(float(v)) else f"{float(v):.{digits}f}"


def _cell(results: BenchmarkResults, task: str, model: str) -> tuple[str, str, str]:
    """(internal value [CI], external value, drop) of a task's primary metric, or the status."""
    o = results.get(task, model)
    if o is None:
        return "–", "–", "–"
    if o.result is None:
        return o.status, "", ""
    r = o.result
    v = r.metrics.get(r.primary, math.nan)
    lo, hi = r.ci.get(r.primary, (math.nan, math.nan))
    inner = _fmt(v) + (f" [{_fmt(lo)}, {_fmt(hi)}]" if math.isfinite(lo) else "")
    ext = _fmt(r.external.get(r.primary, math.nan)) if r.external else "–"
    drop = _fmt(r.drop().get(r.primary, math.nan)) if r.external else "–"
    return inner, ext, drop


def _detail_rows(results: BenchmarkResults, tasks: list[str]) -> tuple[list[str], list[list[str]]]:
    """Every metric of every task: rows (task, metric), columns model / model external."""
    header = ["task", "metric"]
    for m in results.models:
        header += [m, f"{m} external"]
    rows = []
    for t in tasks:
        names: list[str] = []
        for m in results.models:
            o = results.get(t, m)
            if o is not None and o.result is not None:
                names += [k for k in o.result.metrics if k not in names]
        for k in names:
            row = [t, k]
            for m in results.models:
                o = results.get(t, m)
                r = o.result if o is not None else None
                row += [_fmt(r.metrics.get(k, math.nan)) if r else "–",
                        _fmt(r.external.get(k, math.nan)) if r and r.external else "–"]
            rows.append(row)
    return header, rows


def _primary(results: BenchmarkResults, task: str) -> str:
    for o in results.outcomes:
        if o.task == task and o.result is not None:
            return o.result.primary
    return ""


def _sections(results: BenchmarkResults) -> dict[str, list[str]]:
    cats: dict[str, list[str]] = {}
    for o in results.outcomes:
        cats.setdefault(o.category, [])
        if o.task not in cats[o.category]:
            cats[o.category].append(o.task)
    return {c: cats[c] for c in (*CATEGORIES, *sorted(set(cats) - set(CATEGORIES))) if c in cats}


def _rank_frame(results: BenchmarkResults) -> pd.DataFrame:
    ranks = pd.DataFrame({"internal": average_rank(results, "internal")})
    ext = average_rank(results, "external")
    if ext.notna().any():
        ranks["external"] = ext
    return ranks.reindex(ranks["internal"].sort_values().index)


# --- markdown --------------------------------------------------------------------------------
def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[c.replace("|", "\\|") for c in r] for r in [header, *rows]]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    return "\n".join(lines)


def render_markdown(results: BenchmarkResults, figures: list[Figure],
                    rank_png: Path | None) -> str:
    ranks = _rank_frame(results)
    cat_ranks = category_rank(results, "internal")
    sources = results.config.get("models", {})
    listed = ", ".join(f"`{m}` ({sources.get(m, '')})" for m in results.models)
    sites = ", ".join(results.config.get("sites", []))
    out = ["# mammofm benchmark", "",
           f"Models: {listed}. Seed {results.config.get('seed')}; sites: {sites}.",
           "", "## Average rank (lower is better)", ""]
    header = ["model", *[f"{c} site" for c in ranks.columns], *[f"{c}" for c in cat_ranks.index]]
    rows = [[m, *[_fmt(ranks.loc[m, c], 2) for c in ranks.columns],
             *[_fmt(cat_ranks.loc[c, m], 2) for c in cat_ranks.index]] for m in ranks.index]
    out += [_md_table(header, rows), ""]
    if rank_png is not None:
        out += [f"![average rank]({rank_png.as_posix()})", ""]
    for cat, tasks in _sections(results).items():
        out += [f"## {cat}", ""]
        header = ["task", "protocol", "metric"]
        for m in results.models:
            header += [f"{m}", f"{m} external", f"{m} drop"]
        rows = []
        for t in tasks:
            o = next(o for o in results.outcomes if o.task == t)
            row = [t, o.protocol, _primary(results, t)]
            for m in results.models:
                row += list(_cell(results, t, m))
            rows.append(row)
        out += [_md_table(header, rows), ""]
        for f in figures:
            if f.task in tasks:
                out += [f"![{f.title}]({f.path.as_posix()})", ""]
        dh, dr = _detail_rows(results, tasks)
        if dr:
            out += [f"### {cat}: every metric", "", _md_table(dh, dr), ""]
    bad = [o for o in results.outcomes if o.status != "ok"]
    if bad:
        out += ["## Failures and tasks that do not apply", "",
                _md_table(["task", "model", "status", "reason"],
                          [[o.task, o.model, o.status, o.error] for o in bad]), ""]
    return "\n".join(out)


# --- html ------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}
th{background:#f0f0f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
td.failed{color:#b00} td.na{color:#888} .figs{display:flex;flex-wrap:wrap;gap:8px}
figure{margin:0} figcaption{font-size:12px;color:#555} img{border:1px solid #ddd}
"""
_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img'), ok = 0;
  imgs.forEach(function (im) {
    var good = im.complete && im.naturalWidth > 0;
    im.setAttribute('data-rendered', good ? 'yes' : 'no');
    if (good) { ok += 1; }
  });
  document.body.setAttribute('data-images', String(imgs.length));
  document.body.setAttribute('data-images-ok', String(ok));
  document.body.setAttribute('data-tables', String(document.querySelectorAll('table').length));
});
"""


def _h(s: object) -> str:
    return html.escape(str(s))


def _html_table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{_h(c)}</th>" for c in header)
    body = []
    for r in rows:
        tds = []
        for c in r:
            k = "failed" if c == "failed" else "na" if c == "n/a" else (
                "num" if c[:1].isdigit() or c[:1] == "-" else "")
            tds.append(f'<td class="{k}">{_h(c)}</td>')
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _img(path: Path, title: str) -> str:
    return (f'<figure><img src="{_h(path.as_posix())}" alt="{_h(title)}" width="460">'
            f"<figcaption>{_h(title)}</figcaption></figure>")


def render_html(results: BenchmarkResults, figures: list[Figure], rank_png: Path | None) -> str:
    ranks = _rank_frame(results)
    cat_ranks = category_rank(results, "internal")
    models = results.config.get("models", {})
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>mammofm benchmark</title>", f"<style>{_CSS}</style>",
             f"<script>{_SCRIPT}</script></head><body>", "<h1>mammofm benchmark</h1>",
             "<p>Models: " + ", ".join(f"<code>{_h(m)}</code> ({_h(models.get(m, ''))})"
                                       for m in results.models)
             + f". Seed {_h(results.config.get('seed'))}; sites: "
             + _h(", ".join(results.config.get("sites", []))) + ".</p>",
             "<h2>Average rank (lower is better)</h2>"]
    header = ["model", *[f"{c} site" for c in ranks.columns], *list(cat_ranks.index)]
    rows = [[m, *[_fmt(ranks.loc[m, c], 2) for c in ranks.columns],
             *[_fmt(cat_ranks.loc[c, m], 2) for c in cat_ranks.index]] for m in ranks.index]
    parts.append(_html_table(header, rows, "ranks"))
    if rank_png is not None:
        parts.append(f'<div class="figs">{_img(rank_png, "average rank per model")}</div>')
    for cat, tasks in _sections(results).items():
        parts.append(f'<h2 id="{_h(cat)}">{_h(cat)}</h2>')
        header = ["task", "protocol", "metric"]
        for m in results.models:
            header += [m, f"{m} external", f"{m} drop"]
        rows = []
        for t in tasks:
            o = next(o for o in results.outcomes if o.task == t)
            row = [t, o.protocol, _primary(results, t)]
            for m in results.models:
                row += list(_cell(results, t, m))
            rows.append(row)
        parts.append(_html_table(header, rows, f"category {cat}"))
        figs = [f for f in figures if f.task in tasks]
        if figs:
            parts.append('<div class="figs">' + "".join(_img(f.path, f.title) for f in figs)
                         + "</div>")
        dh, dr = _detail_rows(results, tasks)
        if dr:
            parts.append(f"<details><summary>{_h(cat)}: every metric</summary>"
                         + _html_table(dh, dr, f"details {cat}") + "</details>")
    bad = [o for o in results.outcomes if o.status != "ok"]
    if bad:
        parts.append("<h2>Failures and tasks that do not apply</h2>")
        parts.append(_html_table(["task", "model", "status", "reason"],
                                 [[o.task, o.model, o.status, o.error] for o in bad], "failures"))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(results: BenchmarkResults, out_dir: str | Path) -> ReportPaths:
    """Write every output of a benchmark into ``out_dir`` (atomically, file by file)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jpath = atomic_write_text(out / "results.json",
                              json.dumps(results.as_dict(), indent=1, allow_nan=False))
    table = long_table(results)
    with atomic_path(out / "results.csv") as tmp:
        table.to_csv(tmp, index=False)
    figures = curve_figures(results, out)
    rank_png = rank_figure(_rank_frame(results), out)
    md = atomic_write_text(out / "report.md", render_markdown(results, figures, rank_png))
    ht = atomic_write_text(out / "report.html", render_html(results, figures, rank_png))
    pngs = [f.path for f in figures] + ([rank_png] if rank_png else [])
    return ReportPaths(jpath, out / "results.csv", md, ht, pngs)
