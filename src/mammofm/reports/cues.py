"""Context cues (a compact ConText rule set) and the numeric patterns of reports.

ConText (Harkema et al. 2009) marks a concept negated, uncertain, hypothetical or historical
when it falls inside the scope of a trigger: pre-triggers reach forward to the end of the
sentence, post-triggers reach back to its start, a termination term ("but", "however",
"there is") ends a scope, and pseudo-triggers ("not palpable", "no significant change") look
like triggers but are not. These triggers are grammar, not BI-RADS terms, so they live here.
One pass of one pattern finds them all.
"""

from __future__ import annotations

import re

def _expand(*parts: str) -> list[str]:
    """All phrases from slots of "a|b" alternatives: _expand("is|are", "seen") -> 2 phrases."""
    out = [""]
    for part in parts:
        out = [f"{o} {alt}".strip() for o in out for alt in part.split("|")]
    return out


#: ConText triggers: kind -> phrases (lower case, hyphens as spaces). They join the
#: vocabulary trie, so one pass finds terms and triggers and the longest wording wins.
CUE_PHRASES: dict[str, list[str]] = {
    "pseudo": ["not palpable", "non palpable", "nonpalpable", "no change", "no significant change",
               "no interval change", "no significant interval change", "no mammographic change",
               "without change", "without significant change", "not only", "no further",
               "not definitely", "no longer", "not excluded", "not been excluded",
               "no sonographic correlate", "not associated", "not parallel"],
    "unc_post": _expand("cannot|can not|could not", "be", "excluded|ruled out") + ["is not excluded"],
    "neg_post": _expand("is|are|was|were", "not|no longer",
                        "seen|identified|visualized|visualised|demonstrated|present|evident|"
                        "appreciated|visible|detected")
                + ["absent", "has resolved", "have resolved", "ruled out"],
    "neg_pre": ["no evidence of", "negative for", "free of", "absence of", "without", "no", "not",
                "nor", "neither"],
    "unc_pre": ["possible", "possibly", "questionable", "questionably", "probable", "suspected",
                "equivocal", "may represent", "could represent", "cannot exclude",
                "can not exclude"],
    "term": ["but", "however", "although", "though", "except", "aside from", "apart from",
             "other than", "while", "whereas", "which", "there is", "there are", "is seen",
             "are seen", "is noted", "are noted", "is present", "are present", "is identified",
             "are identified", "demonstrates", "demonstrate", "demonstrated", "demonstrating",
             "show", "shows", "containing", "with the exception", "corresponding to",
             "correlating with", "at the site of"],
    "hypo": ["if", "would", "could be", "in case", "unless", "should this", "should it",
             "should the", "should they"],
    "hist": ["prior", "previous", "was", "were", "history of", "status post", "s/p", "last year"],
    "rec": ["recommend", "recommended", "recommends", "recommending", "recommendation",
            "recommendations", "advise", "advised", "advising", "suggest", "suggested",
            "suggests", "should", "consider", "considered", "indicated", "warranted", "warrants",
            "needed", "return", "continue", "recall", "please", "schedule", "scheduled", "refer",
            "referred", "referral", "rtn", "due in", "is advised"],
    "bx": ["previously biopsied", "biopsied", "biopsy proven", "biopsy clip", "biopsy marker",
           "marker in place", "clip in place", "post biopsy", "postbiopsy", "biopsy performed",
           "biopsy was performed", "core biopsy performed", "status post biopsy",
           "status post core biopsy", "status post stereotactic biopsy", "prior biopsy",
           "site of biopsy", "site of prior biopsy"],
    "rupture": ["rupture", "ruptured", "ruptures", "intracapsular rupture",
                "extracapsular rupture", "linguine"],
    "intact": ["intact"],
}
#: triggers made of punctuation: "[ ] Mass: NONE" (post-negation), "? fibroadenoma" (uncertain)
#: (each alternative opens on its literal character, so the engine skips to them in C)
PUNCT_CUE_RE = re.compile(r":\s*(?P<neg_post>none|no|negative|absent|nil|not\s+seen)"
                          r"(?=\s*(?:[.;,\n]|$))|\?(?P<unc_pre>)(?=\s*[a-z])")

#: words that make a mention anaphoric ("the mass", "this finding") rather than new
ANAPHOR = re.compile(r"(?<![a-z])(?:the|this|these|that|those|both|said|aforementioned)\s+"
                     r"((?:[a-z'\-]+\s+){0,4})$")
ANAPHOR_BREAK = frozenset({"a", "an", "is", "are", "there", "of", "in", "with", "and", "or",
                           "no", "at", "on", "from", "to", "for", "than"})

# ---- numbers: one pattern, every alternative starts on a digit (fast scanning); numbers led
# by letters ("N+5.5 cm", "Lt2H", "March 4, 2021", "age 61") are read at their digits and the
# letters checked behind them ----------------------------------------------------------------
_NUM = r"\d{1,3}(?:\.\d{1,2})?"
_UNIT = r"(?:mm|cm|millimet(?:er|re)s?|centimet(?:er|re)s?)"
_OCLOCK = r"(?:o\s*'?\s*clock|0\s*'\s*clock|oclock|o'c(?![a-z]))"
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
NUMERIC_RE = re.compile(
    r"(?=\d)(?:"
    r"(?P<iso>(?<![\d/])(?:19|20)\d{2}-\d{1,2}-\d{1,2}(?!\d))"
    r"|(?P<slash>(?<![\d/])\d{1,2}[/.]\d{1,2}[/.](?:19|20)\d{2}(?!\d))"
    rf"|(?P<dmy>(?<!\d)\d{{1,2}}\s+{_MON},?\s+(?:19|20)\d{{2}})"
    rf"|(?P<range>\d{{1,2}}(?:[:.]\d{{2}})?\s*(?:-|to|through)\s*\d{{1,2}}(?:[:.]\d{{2}})?\s*{_OCLOCK})"
    rf"|(?P<clock>\d{{1,2}}(?:[:.]\d{{2}})?\s*{_OCLOCK})"
    r"|(?P<clockc>(?<![\d/.:])\d{1,2}:(?:00|15|30|45)(?!\s*(?:am|pm|a\.m|p\.m|hrs?)(?![a-z]))(?![\d/:]))"
    r"|(?P<clockd>(?<=at\s)\d{1,2}\.(?:00|15|30|45)(?!\s*(?:cm|mm|%|\d)))"
    rf"|(?P<nplus>(?:(?<=n\+)|(?<=n \+)|(?<=n\+ )|(?<=n \+ )){_NUM}\s*(?:{_UNIT})?)"
    r"|(?P<lth>(?<=[lr])\d{1,2}\s*h(?![a-z])|(?<=[lr]t)\d{1,2}\s*h(?![a-z])"
    r"|(?<=[lr]t\s)\d{1,2}\s*h(?![a-z]))"
    r"|(?P<mdy>(?<=[a-z.]\s)\d{1,2},?\s+(?:19|20)\d{2}(?!\d))"
    r"|(?P<agew>(?:(?<=age\s)|(?<=age:)|(?<=age:\s)|(?<=aged\s)|(?<=is\s))\d{2,3}(?!\d|\.\d))"
    rf"|(?P<dist>(?<![\d.])(?P<da>{_NUM})\s*(?P<du>{_UNIT})?\s*(?:\)\s*)?(?:from\s+(?:the\s+)?nipple|"
    r"from\s+the\s+areola|fn(?![a-z])))"
    rf"|(?P<size>(?<![\d.+])(?P<a>{_NUM})\s*(?:{_UNIT})?(?:\s*(?:x|by|\*)\s*(?P<b>{_NUM})\s*(?:{_UNIT})?"
    rf"(?:\s*(?:x|by|\*)\s*(?P<c>{_NUM}))?)?\s*(?P<u>{_UNIT})(?![a-z]))"
    r"|(?P<age>\d{2,3}\s*-?\s*(?:years?|yrs?|y)\s*-?\s*(?:of\s+age|old)(?![a-z])"
    r"|\d{2,3}\s*(?:yo|y/o|y\.o\.?)(?![a-z])|(?<![\d/])\d{2}\s*(?:f|m)(?![a-z0-9]))"
    r")"
)
#: what comes before a number read by NUMERIC_RE's letter-led alternatives
MONTH_BEFORE = re.compile(rf"(?<![a-z]){_MON}\s+$")
SIDE_BEFORE = re.compile(r"(?<![a-z])(lt|rt|l|r)\s*$")
#: what follows a measurement that is a distance, not a size
NOT_SIZE_AFTER = re.compile(
    r"\s*(?:\)\s*)?(?:from\s+(?:the\s+)?(?:nipple|skin|areola|chest\s+wall|pectoral\w*)|fn(?![a-z])|"
    r"(?:deep|cranial|caudal|superior|inferior|medial|lateral|anterior|posterior|below|above|"
    r"beneath|behind)\s+(?:to\s+)?(?:the\s+)?(?:nipple|skin|areola)|deep\s+to|cranial|caudal|"
    r"of\s+the\s+nipple|to\s+the\s+nipple)"
)
NOT_SIZE_BEFORE = re.compile(r"(?:previously|prior|was|from|thickening\s+of|thickness\s+of|"
                             r"cortex\s+of|cortical\s+thickness|n\s*\+|fn)\s*(?:of\s+)?\(?\s*$")
MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
AGE_NOT_PATIENT = re.compile(r"(?:mother|sister|father|aunt|grandmother|daughter|relative|"
                             r"family|diagnosed)[^.;\n]{0,20}$")

# ---- sentence-level cues ---------------------------------------------------------------------
US_WORDS = re.compile(r"(?<![a-z])(?:sonograph\w*|ultrasound|hypoechoic|anechoic|hyperechoic|"
                      r"isoechoic|echogenic|shadowing|vascularity|doppler)(?![a-z])(?![\s-]*guided)")
MRI_WORDS = re.compile(r"(?<![a-z])(?:mri|enhanc\w*|washout|magnetic\s+resonance)(?![a-z])"
                       r"(?![\s-]*guided)")
TOMO_WORDS = re.compile(r"(?<![a-z])(?:tomosynthesis|dbt|3d\s+mammograph\w*|tomo)(?![a-z])"
                        r"(?![\s-]*guided)")
MALE = re.compile(r"(?<![a-z])(?:male|man|gynaecomastia|gynecomastia|he|his)(?![a-z])")
SOFTWARE = re.compile(r"volpara|quantra|densitas|software|automated\s+(?:volumetric\s+)?density|"
                      r"volumetric\s+(?:breast\s+)?density|(?<![a-z])vdg(?![a-z])")
DIAGNOSTIC_CUES = re.compile(
    r"(?<![a-z])(?:diagnostic|palpable|lump|pain|tender\w*|discharge|concern|call\s*back|"
    r"recall(?:ed)?|symptomatic|follow[\s-]*up|surveillance|extent\s+of\s+disease|"
    r"abnormal\s+screening|work[\s-]*up|evaluation\s+of|swelling|thickening|lump|"
    r"problem[\s-]*solving|further\s+evaluation|additional\s+evaluation)(?![a-z])")
SCREENING_CUES = re.compile(r"(?<![a-z])(?:screening|screen|scr)(?![a-z])")
BILATERAL = re.compile(r"(?<![a-z])(?:bilateral(?:ly)?|bilat|bil|both\s+(?:breasts|sides)|"
                       r"either\s+breast|right\s+and\s+left|left\s+and\s+right|both)(?![a-z])")
#: wordings that mean both breasts (join the vocabulary trie as laterality "B")
BOTH_SIDES: tuple[str, ...] = ("bilateral", "bilaterally", "bilat", "bil", "both breasts",
                               "both sides", "either breast", "right and left", "left and right")
COMPARISON_NONE = re.compile(
    r"(?:^|\s)(?:none|n/a|not\s+available|unavailable)(?:\s+available)?\s*\.?\s*$|"
    r"no\s+(?:prior|previous|old|comparison)\s*(?:studies|exams?|examinations?|mammograms?|"
    r"films|imaging|images)?\s*(?:are\s+|is\s+)?(?:available|for\s+comparison)|"
    r"no\s+(?:prior|previous)\s+(?:studies|exams?|examinations?|mammograms?|films|imaging)|"
    r"(?<![a-z])baseline(?![a-z])|without\s+prior\s+studies")
COMPARISON_YES = re.compile(
    r"compar(?:ed|ison)\s+(?:is\s+|was\s+)?(?:made\s+)?(?:with|to)|(?:prior|previous|outside)\s+"
    r"(?:stud|exam|mammogra|film|screen|round|imaging)|since\s+(?:19|20)\d\d|"
    r"(?:stable|unchanged)\s+(?:since|from|compared)|(?<![a-z])priors?(?![a-z])")
SIX_MONTHS = re.compile(r"(?<![a-z0-9])(?:6|six)[\s-]*months?(?![a-z])")
ONE_YEAR = re.compile(r"(?<![a-z0-9])(?:in\s+)?(?:1|one|12)[\s-]*(?:year|yr|y|months)(?![a-z])")
GUIDED = re.compile(r"[\s-]*guided")
