"""The parser's vocabulary is the lexicon's: no module of the parser spells a BI-RADS wording."""

from __future__ import annotations

from mammofm.birads import lexicon
from mammofm.reports import vocab
from mammofm.reports.cues import BOTH_SIDES


def test_every_term_the_parser_matches_comes_from_the_lexicon() -> None:
    lexicon_forms = {(field, vocab.norm_form(form), t.value)
                     for field in vocab.FIELDS for t in lexicon.terms(field)
                     for form in t.surface_forms}
    view_forms = {form for field, form, _ in lexicon_forms if field == "view"}
    both = {vocab.norm_form(p) for p in BOTH_SIDES} | {"r breast", "l breast"}
    strays = []
    for key, pairs in vocab.table().items():
        for field, value in pairs:
            if field not in vocab.FIELDS or (field, key, value) in lexicon_forms:
                continue
            if field == "laterality" and key in both:
                continue  # sides written around the lexicon's letters ("bilateral", "r breast")
            if field == "view" and any(key.startswith(v + " view") for v in view_forms):
                continue  # "spot compression views" advises a view and names it
            strays.append((key, field, value))
    assert not strays, strays[:10]
    assert ("recommendation", "routine_screening") in vocab.lookup("rtn 1y")
    assert ("kind", "mass") in vocab.lookup("nodules")
