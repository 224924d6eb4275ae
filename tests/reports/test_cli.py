"""CLI verbs: parse-reports streams CSV / JSONL / TXT, skips bad rows; score-reports tables + JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from mammofm.cli import app
from mammofm.reports import random_exam, write

runner = CliRunner()


def _texts(n: int) -> list[str]:
    return [write(random_exam(np.random.default_rng([4, i])), "default", seed=i) for i in range(n)]


def test_parse_reports_jsonl_skips_bad_rows(tmp_path: Path) -> None:
    src = tmp_path / "reports.jsonl"
    texts = _texts(4)
    lines = [json.dumps({"study_id": f"s{i}", "text": t}) for i, t in enumerate(texts)]
    lines.insert(2, "{not json")
    lines.append(json.dumps({"study_id": "x", "text": 5}))
    lines.append(json.dumps({"study_id": "y", "text": ""}))
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out" / "exams.jsonl"
    res = runner.invoke(app, ["parse-reports", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["s0", "s1", "s2", "s3", "y"]
    assert rows[-1]["exam"]["empty_reason"] == "empty text"
    skipped = [ln for ln in res.output.splitlines() if ln.startswith("skipped ")]
    assert len(skipped) == 2  # one whole line per bad row, however long its path
    assert f"{src}: line 3: not JSON" in skipped[0]
    assert skipped[1].endswith(f"{src}: line 6: field 'text' is a int, not text")
    assert not list(out.parent.glob(".*.part"))  # atomic: no temporary left behind


def test_parse_reports_csv_and_txt(tmp_path: Path) -> None:
    texts = _texts(3)
    src = tmp_path / "r.csv"
    with open(src, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["accession", "report"])
        for i, t in enumerate(texts):
            w.writerow([f"a{i}", t])
    out = tmp_path / "r.jsonl"
    res = runner.invoke(app, ["parse-reports", str(src), "-o", str(out), "--no-evidence"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a0", "a1", "a2"]
    assert "evidence" not in json.dumps(rows)
    txt = tmp_path / "r.txt"
    txt.write_text("\n---\n".join(texts))
    res = runner.invoke(app, ["parse-reports", str(txt), "-o", str(tmp_path / "t.jsonl")])
    assert res.exit_code == 0 and len((tmp_path / "t.jsonl").read_text().splitlines()) == 3


def test_parse_reports_names_the_file_and_cause(tmp_path: Path) -> None:
    bad = tmp_path / "r.csv"
    bad.write_text("a,b\n1,2\n")
    res = runner.invoke(app, ["parse-reports", str(bad), "-o", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 1 and "r.csv" in res.output and "no report text column" in res.output
    res = runner.invoke(app, ["parse-reports", str(tmp_path / "none.csv"), "-o", "x.jsonl"])
    assert res.exit_code == 1 and "no such file" in res.output


def test_score_reports_prints_and_writes_json(tmp_path: Path) -> None:
    refs = _texts(6)
    gen = [write(random_exam(np.random.default_rng([4, i])), "terse", seed=i) for i in range(6)]
    g, r = tmp_path / "gen.jsonl", tmp_path / "ref.jsonl"
    g.write_text("".join(json.dumps({"id": f"s{i}", "text": t}) + "\n"
                         for i, t in reversed(list(enumerate(gen)))))
    r.write_text("".join(json.dumps({"id": f"s{i}", "text": t}) + "\n" for i, t in enumerate(refs)))
    out = tmp_path / "scores.json"
    res = runner.invoke(app, ["score-reports", str(g), str(r), "--out", str(out), "--n-boot", "30"])
    assert res.exit_code == 0, res.output
    assert "birads_f1" in res.output and "cider_d" in res.output
    data = json.loads(out.read_text())
    assert data["clinical"]["finding_f1"]["value"] > 0.95  # paired by id despite the order
    assert 0 <= data["nlg"]["bleu4"] <= 1
