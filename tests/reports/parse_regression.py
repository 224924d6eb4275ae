"""Regression harness for parser restructuring: a deterministic, varied set of report texts,
and the parse output of each, frozen once and compared after every change.

    python tests/reports/parse_regression.py freeze /tmp/parse_expect.jsonl
    python tests/reports/parse_regression.py check  /tmp/parse_expect.jsonl

Texts: the gold and held-out corpora, each also upper-cased, with its line breaks flattened,
as HTML paragraphs, and with blank lines turned into ";"; every string literal of the parser
tests (the traps); and writer-made reports of random exams in every style. The frozen file
holds ``parse(text).to_json()`` per text; ``check`` reports how many are identical and shows
the first differences. Not a pytest module (the frozen expectation lives outside the repo).
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _variants(text: str) -> list[str]:
    html = "".join(f"<p>{line}</p>" for line in text.splitlines())
    return [text, text.upper(), " ".join(text.split()), html, text.replace("\n\n", ";\n")]


def _test_literals() -> list[str]:
    out: list[str] = []
    for path in sorted(HERE.glob("test_parse*.py")) + [HERE / "test_corpus.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    len(node.value) >= 12 and " " in node.value:
                out.append(node.value)
    return out


def texts(n_exams: int = 700) -> list[str]:
    """Every text of the harness, in a fixed order."""
    sys.path.insert(0, str(HERE))
    from conftest import CORPUS, load

    from mammofm.reports import STYLES, random_exam, write

    out: list[str] = []
    for folder in (CORPUS, CORPUS.parent / "corpus_holdout"):
        for _, t, _ in load(folder):
            out.extend(_variants(t))
    out.extend(_test_literals())
    styles = sorted(STYLES)
    for i in range(n_exams):
        ex = random_exam(np.random.default_rng([23, i]))
        for k, st in enumerate(styles):
            t = write(ex, st, seed=i * 7 + k)
            out.append(t)
            if i % 10 == 0:
                out.append(" ".join(t.split()))
    return out


def outputs(ts: list[str]) -> list[str]:
    from mammofm.reports import parse

    return [parse(t).to_json() for t in ts]


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    ts = texts()
    got = outputs(ts)
    if mode == "freeze":
        path.write_text("".join(json.dumps({"text": t, "out": o}) + "\n" for t, o in zip(ts, got)))
        digest = hashlib.sha256("".join(got).encode()).hexdigest()[:16]
        print(f"froze {len(ts)} texts, digest {digest}")
        return
    want = [json.loads(line) for line in path.read_text().splitlines()]
    assert [w["text"] for w in want] == ts, "the harness texts changed: refreeze from old code"
    bad = [k for k, (w, g) in enumerate(zip(want, got)) if w["out"] != g]
    print(f"{len(ts) - len(bad)} of {len(ts)} texts identical")
    for k in bad[:3]:
        print("---", repr(ts[k][:300]))
        print("want", want[k]["out"][:1500])
        print("got ", got[k][:1500])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
