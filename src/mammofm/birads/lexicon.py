"""The ACR BI-RADS 5th-edition mammography lexicon: the one place that spells its terms.

Every enumerated value of the schema is defined here, with the 5th-edition wording a report
writer should emit (``phrase``) and the synonyms / older (4th-edition, colloquial) wordings a
parser should accept (``synonyms``). Nothing else in mammofm spells these terms; other modules
ask this one (``phrase``, ``synonyms``, ``normalize``, ``terms``).

Source: ACR BI-RADS Atlas 5th ed. (2013), cross-checked against ``shared/reference/
birads_lexicon.json``. Legacy wordings (4th-edition terms, and the shorthand, plurals and
colloquial phrasings real reports use: "rtn 1y", "nodules", "group of") map onto the nearest
5th-edition value; they are accepted, never emitted (writers and tokenizer seeds skip them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache


class _StrEnum(str, Enum):
    def __str__(self) -> str:  # "mass", not "FindingKind.mass"
        return self.value


class Laterality(_StrEnum):
    L = "L"
    R = "R"


class View(_StrEnum):
    CC = "CC"
    MLO = "MLO"
    ML = "ML"
    LM = "LM"
    XCCL = "XCCL"
    XCCM = "XCCM"
    AT = "AT"
    SPOT = "SPOT"
    MAG = "MAG"


class Composition(_StrEnum):
    a = "a"
    b = "b"
    c = "c"
    d = "d"


class Assessment(_StrEnum):
    """BI-RADS assessment category. "4" is the undivided category some reports still use."""

    c0 = "0"
    c1 = "1"
    c2 = "2"
    c3 = "3"
    c4 = "4"
    c4A = "4A"
    c4B = "4B"
    c4C = "4C"
    c5 = "5"
    c6 = "6"


class FindingKind(_StrEnum):
    mass = "mass"
    calcification = "calcification"
    asymmetry = "asymmetry"
    architectural_distortion = "architectural_distortion"
    lymph_node = "lymph_node"
    skin_lesion = "skin_lesion"
    dilated_duct = "dilated_duct"
    implant = "implant"


class AsymmetryType(_StrEnum):
    asymmetry = "asymmetry"
    focal = "focal"
    global_ = "global"
    developing = "developing"


class MassShape(_StrEnum):
    oval = "oval"
    round = "round"
    irregular = "irregular"


class MassMargin(_StrEnum):
    circumscribed = "circumscribed"
    obscured = "obscured"
    microlobulated = "microlobulated"
    indistinct = "indistinct"
    spiculated = "spiculated"


class MassDensity(_StrEnum):
    high = "high"
    equal = "equal"
    low = "low"
    fat_containing = "fat_containing"


class CalcMorphology(_StrEnum):
    # typically benign
    skin = "skin"
    vascular = "vascular"
    coarse = "coarse"
    large_rod_like = "large_rod_like"
    round = "round"
    punctate = "punctate"
    rim = "rim"
    dystrophic = "dystrophic"
    milk_of_calcium = "milk_of_calcium"
    suture = "suture"
    # suspicious
    amorphous = "amorphous"
    coarse_heterogeneous = "coarse_heterogeneous"
    fine_pleomorphic = "fine_pleomorphic"
    fine_linear = "fine_linear"


SUSPICIOUS_CALC_MORPHOLOGY: frozenset[CalcMorphology] = frozenset(
    {
        CalcMorphology.amorphous,
        CalcMorphology.coarse_heterogeneous,
        CalcMorphology.fine_pleomorphic,
        CalcMorphology.fine_linear,
    }
)


class CalcDistribution(_StrEnum):
    diffuse = "diffuse"
    regional = "regional"
    grouped = "grouped"
    linear = "linear"
    segmental = "segmental"


class AssociatedFeature(_StrEnum):
    skin_retraction = "skin_retraction"
    nipple_retraction = "nipple_retraction"
    skin_thickening = "skin_thickening"
    trabecular_thickening = "trabecular_thickening"
    axillary_adenopathy = "axillary_adenopathy"
    architectural_distortion = "architectural_distortion"
    calcifications = "calcifications"


class Quadrant(_StrEnum):
    UOQ = "UOQ"
    UIQ = "UIQ"
    LOQ = "LOQ"
    LIQ = "LIQ"
    upper_central = "upper_central"  # 12 o'clock, between the upper quadrants
    lower_central = "lower_central"  # 6 o'clock
    inner_central = "inner_central"  # 3 o'clock right / 9 o'clock left
    outer_central = "outer_central"  # 9 o'clock right / 3 o'clock left
    retroareolar = "retroareolar"
    central = "central"
    axillary_tail = "axillary_tail"


class Depth(_StrEnum):
    anterior = "anterior"
    middle = "middle"
    posterior = "posterior"


class Certainty(_StrEnum):
    present = "present"
    negated = "negated"
    uncertain = "uncertain"


class Stability(_StrEnum):
    new = "new"
    stable = "stable"
    increased = "increased"
    decreased = "decreased"
    resolved = "resolved"


class Pathology(_StrEnum):
    malignant = "malignant"
    high_risk = "high_risk"
    benign = "benign"


class Modality(_StrEnum):
    mammography = "mammography"
    tomosynthesis = "tomosynthesis"
    ultrasound = "ultrasound"
    mri = "mri"


class Indication(_StrEnum):
    screening = "screening"
    diagnostic = "diagnostic"


class Recommendation(_StrEnum):
    routine_screening = "routine_screening"
    short_interval_follow_up = "short_interval_follow_up"
    additional_imaging = "additional_imaging"
    ultrasound = "ultrasound"
    mri = "mri"
    biopsy = "biopsy"
    surgical_consultation = "surgical_consultation"
    comparison_with_prior = "comparison_with_prior"
    clinical_correlation = "clinical_correlation"


class ImplantMaterial(_StrEnum):
    saline = "saline"
    silicone = "silicone"


class ImplantPosition(_StrEnum):
    subglandular = "subglandular"
    subpectoral = "subpectoral"


@dataclass(frozen=True)
class Term:
    """One lexicon entry: the phrase to write and the wordings to recognise."""

    value: str
    phrase: str
    synonyms: tuple[str, ...] = field(default_factory=tuple)
    legacy: tuple[str, ...] = field(default_factory=tuple)

    @property
    def surface_forms(self) -> tuple[str, ...]:
        return (self.phrase, *self.synonyms, *self.legacy)


def _t(enum_member: Enum, phrase: str, *synonyms: str, legacy: tuple[str, ...] = ()) -> Term:
    return Term(str(enum_member.value), phrase, tuple(synonyms), tuple(legacy))


_C = Composition
_K = FindingKind
_A = AsymmetryType
_S = MassShape
_M = MassMargin
_D = MassDensity
_CM = CalcMorphology
_CD = CalcDistribution
_AF = AssociatedFeature
_Q = Quadrant
_R = Recommendation

#: field name -> enum class, for every lexicon-controlled field of the schema
ENUMS: dict[str, type[Enum]] = {
    "laterality": Laterality,
    "view": View,
    "composition": Composition,
    "assessment": Assessment,
    "kind": FindingKind,
    "asymmetry_type": AsymmetryType,
    "shape": MassShape,
    "margin": MassMargin,
    "density": MassDensity,
    "morphology": CalcMorphology,
    "distribution": CalcDistribution,
    "associated_feature": AssociatedFeature,
    "quadrant": Quadrant,
    "depth": Depth,
    "certainty": Certainty,
    "stability": Stability,
    "pathology": Pathology,
    "modality": Modality,
    "indication": Indication,
    "recommendation": Recommendation,
    "implant_material": ImplantMaterial,
    "implant_position": ImplantPosition,
}

_TERMS: dict[str, tuple[Term, ...]] = {
    "laterality": (
        _t(Laterality.L, "left", "lt", "l"),
        _t(Laterality.R, "right", "rt", "r"),
    ),
    "view": (
        _t(View.CC, "craniocaudal", "cc", "cranio-caudal"),
        _t(View.MLO, "mediolateral oblique", "mlo", "medio-lateral oblique", "oblique"),
        _t(View.ML, "mediolateral", "ml", "true lateral", "90 degree lateral"),
        _t(View.LM, "lateromedial", "lm"),
        _t(View.XCCL, "exaggerated craniocaudal lateral", "xccl"),
        _t(View.XCCM, "exaggerated craniocaudal medial", "xccm"),
        _t(View.AT, "axillary tail", "at"),
        _t(View.SPOT, "spot compression", "spot"),
        _t(View.MAG, "magnification", "mag", "magnification view"),
    ),
    "composition": (
        _t(_C.a, "The breasts are almost entirely fatty", "almost entirely fatty",
           "predominantly fatty", "entirely fatty",
           legacy=("almost entirely fat", "fatty replaced", "fatty", "ACR 1", "ACR-1",
                   "less than 25% glandular", "<25%", "0-25%")),
        _t(_C.b, "There are scattered areas of fibroglandular density",
           "scattered areas of fibroglandular density", "scattered fibroglandular densities",
           "scattered fibroglandular tissue", "scattered fibroglandular density",
           "scattered areas of fibroglandular tissue",
           legacy=("ACR 2", "ACR-2", "25-50%", "25% to 50%", "scattered fibroglandular")),
        _t(_C.c, "The breasts are heterogeneously dense, which may obscure small masses",
           "heterogeneously dense", "heterogeneously-dense", "heterogenously dense",
           "heterogeneous density", "heterogeneously dense fibroglandular tissue",
           legacy=("ACR 3", "ACR-3", "51-75%", "50-75%", "51% to 75%")),
        _t(_C.d, "The breasts are extremely dense, which lowers the sensitivity of mammography",
           "extremely dense", "very dense", "dense fibroglandular tissue throughout",
           legacy=("ACR 4", "ACR-4", ">75%", "more than 75%", "greater than 75%")),
    ),
    "assessment": (
        _t(Assessment.c0, "Incomplete: need additional imaging evaluation", "incomplete",
           "needs additional imaging evaluation"),
        _t(Assessment.c1, "Negative", "negative"),
        _t(Assessment.c2, "Benign", "benign", "benign finding", "benign findings"),
        _t(Assessment.c3, "Probably benign", "probably benign"),
        _t(Assessment.c4, "Suspicious", "suspicious", "suspicious abnormality"),
        _t(Assessment.c4A, "Low suspicion for malignancy", "low suspicion",
           "low suspicion for malignancy"),
        _t(Assessment.c4B, "Moderate suspicion for malignancy", "moderate suspicion",
           "moderate suspicion for malignancy", "intermediate suspicion"),
        _t(Assessment.c4C, "High suspicion for malignancy", "high suspicion",
           "high suspicion for malignancy"),
        _t(Assessment.c5, "Highly suggestive of malignancy", "highly suggestive of malignancy",
           "highly suspicious", "highly suspicious for malignancy"),
        _t(Assessment.c6, "Known biopsy-proven malignancy", "known biopsy-proven malignancy",
           "known biopsy proven malignancy", "known malignancy", "biopsy-proven malignancy"),
    ),
    "kind": (
        _t(_K.mass, "mass", "masses", "lesion", "nodule", "nodular density",
           legacy=("density", "densities", "mass lesion", "nodules", "lesions")),
        _t(_K.calcification, "calcifications", "calcification", "calcs", "microcalcifications",
           "microcalcification", "calcified", "calcific densities"),
        _t(_K.asymmetry, "asymmetry", "asymmetries", "asymmetric density",
           legacy=("asymmetric breast tissue", "asymmetric tissue")),
        _t(_K.architectural_distortion, "architectural distortion", "distortion",
           "architectural distortions", "area of distortion", legacy=("distortions",)),
        _t(_K.lymph_node, "intramammary lymph node", "intramammary node", "lymph node",
           "intramammary lymph nodes", "lymph nodes", legacy=("intramammary nodes",)),
        _t(_K.skin_lesion, "skin lesion", "skin lesions", "sebaceous cyst", "skin mole",
           legacy=("sebaceous cysts",)),
        _t(_K.dilated_duct, "solitary dilated duct", "dilated duct", "ectatic duct",
           legacy=("dilated ducts", "ectatic ducts")),
        _t(_K.implant, "implant", "implants", "breast implant", "breast implants",
           "prosthesis", "prostheses"),
    ),
    "asymmetry_type": (
        _t(_A.asymmetry, "asymmetry", "one-view asymmetry", "single view asymmetry"),
        _t(_A.focal, "focal asymmetry", "focal asymmetric density",
           legacy=("focal density",)),
        _t(_A.global_, "global asymmetry", "asymmetric breast tissue",
           legacy=("asymmetric tissue",)),
        _t(_A.developing, "developing asymmetry", legacy=("developing density",
                                                          "neodensity")),
    ),
    "shape": (
        _t(_S.oval, "oval", "ovoid", "elliptical", "egg-shaped",
           legacy=("lobular", "lobulated", "gently lobulated")),
        _t(_S.round, "round", "spherical", "circular", "rounded"),
        _t(_S.irregular, "irregular", "irregularly shaped", "irregular shape"),
    ),
    "margin": (
        _t(_M.circumscribed, "circumscribed", "well circumscribed", "well-circumscribed",
           "circumscribed margins", "sharply defined", "smooth",
           legacy=("well-defined", "well defined", "sharply marginated")),
        _t(_M.obscured, "obscured", "partially obscured", "obscured margins"),
        _t(_M.microlobulated, "microlobulated", "micro-lobulated", "microlobular"),
        _t(_M.indistinct, "indistinct", "indistinct margins",
           legacy=("ill-defined", "ill defined", "poorly defined", "poorly circumscribed")),
        _t(_M.spiculated, "spiculated", "spiculations", "spiculated margins", "stellate",
           "spiculate"),
    ),
    "density": (
        _t(_D.high, "high density", "hyperdense", "high-density"),
        _t(_D.equal, "equal density", "isodense", "equal-density", "iso-dense"),
        _t(_D.low, "low density", "hypodense", "low-density"),
        _t(_D.fat_containing, "fat-containing", "fat containing", "fat density",
           legacy=("radiolucent", "lucent")),
    ),
    "morphology": (
        _t(_CM.skin, "skin", "dermal", "skin calcifications"),
        _t(_CM.vascular, "vascular", "arterial", "vascular calcifications"),
        _t(_CM.coarse, "coarse or popcorn-like", "popcorn", "popcorn-like", "coarse",
           "involuting fibroadenoma"),
        _t(_CM.large_rod_like, "large rod-like", "rod-like", "secretory", "large rod like",
           legacy=("large rodlike", "rodlike")),
        _t(_CM.round, "round", "rounded", legacy=("round and regular",)),
        _t(_CM.punctate, "punctate"),
        _t(_CM.rim, "rim", "rim-like", legacy=("eggshell", "lucent-centered",
                                                "lucent centered", "lucent center",
                                                "lucent-centre", "lucent centre")),
        _t(_CM.dystrophic, "dystrophic"),
        _t(_CM.milk_of_calcium, "milk of calcium", "milk-of-calcium"),
        _t(_CM.suture, "suture", "suture calcifications"),
        _t(_CM.amorphous, "amorphous", legacy=("indistinct",)),
        _t(_CM.coarse_heterogeneous, "coarse heterogeneous", "coarse-heterogeneous"),
        _t(_CM.fine_pleomorphic, "fine pleomorphic", "fine-pleomorphic",
           legacy=("pleomorphic", "malignant-type", "granular")),
        _t(_CM.fine_linear, "fine linear or fine-linear branching", "fine linear",
           "fine-linear", "fine linear branching", "fine-linear branching",
           "linear branching", legacy=("casting",)),
    ),
    "distribution": (
        _t(_CD.diffuse, "diffuse", legacy=("scattered", "diffusely scattered")),
        _t(_CD.regional, "regional"),
        _t(_CD.grouped, "grouped", legacy=("clustered", "cluster", "clusters", "group of",
                                           "groups of", "small group")),
        _t(_CD.linear, "linear", "in a linear distribution"),
        _t(_CD.segmental, "segmental"),
    ),
    "associated_feature": (
        _t(_AF.skin_retraction, "skin retraction", "skin dimpling"),
        _t(_AF.nipple_retraction, "nipple retraction", "nipple inversion",
           "retracted nipple"),
        _t(_AF.skin_thickening, "skin thickening", "thickened skin", "skin edema"),
        _t(_AF.trabecular_thickening, "trabecular thickening", "trabecular edema"),
        _t(_AF.axillary_adenopathy, "axillary adenopathy", "axillary lymphadenopathy",
           "enlarged axillary lymph nodes", "abnormal axillary lymph node"),
        _t(_AF.architectural_distortion, "associated architectural distortion"),
        _t(_AF.calcifications, "associated calcifications"),
    ),
    "quadrant": (
        _t(_Q.UOQ, "upper outer quadrant", "uoq", "upper outer", "upper-outer",
           "superolateral", "upper lateral", "outer-superior", "superior lateral"),
        _t(_Q.UIQ, "upper inner quadrant", "uiq", "upper inner", "upper-inner",
           "superomedial", "upper medial", "inner-superior", "superior medial"),
        _t(_Q.LOQ, "lower outer quadrant", "loq", "lower outer", "lower-outer",
           "inferolateral", "lower lateral", "outer-inferior", "inferior lateral"),
        _t(_Q.LIQ, "lower inner quadrant", "liq", "lower inner", "lower-inner",
           "inferomedial", "lower medial", "inner-inferior", "inferior medial"),
        _t(_Q.upper_central, "upper central", "upper central region", "12 o'clock axis",
           "superior"),
        _t(_Q.lower_central, "lower central", "lower central region", "inferior"),
        _t(_Q.inner_central, "inner central", "central inner", "medial",
           legacy=("medially",)),
        _t(_Q.outer_central, "outer central", "central outer", "lateral",
           legacy=("laterally",)),
        _t(_Q.retroareolar, "retroareolar", "subareolar", "retro-areolar", "sub-areolar",
           "periareolar", "behind the nipple"),
        _t(_Q.central, "central", "central region"),
        _t(_Q.axillary_tail, "axillary tail", "axillary region", "tail of spence"),
    ),
    "depth": (
        _t(Depth.anterior, "anterior depth", "anterior third", "anterior"),
        _t(Depth.middle, "middle depth", "middle third", "mid depth", "middle", "mid"),
        _t(Depth.posterior, "posterior depth", "posterior third", "posterior", "deep"),
    ),
    "certainty": (
        _t(Certainty.present, "present", "seen", "identified"),
        _t(Certainty.negated, "absent", "no", "without", "negative for"),
        _t(Certainty.uncertain, "possible", "questionable", "cannot be excluded",
           "probable", "suspected", "may represent"),
    ),
    "stability": (
        _t(Stability.new, "new", "newly seen", "interval development"),
        _t(Stability.stable, "stable", "unchanged", "no significant change",
           legacy=("no interval change", "no significant interval change", "no change")),
        _t(Stability.increased, "increased", "enlarging", "larger", "increasing"),
        _t(Stability.decreased, "decreased", "smaller", "decreasing"),
        _t(Stability.resolved, "resolved", "no longer seen", "no longer visible",
           legacy=("has resolved", "have resolved")),
    ),
    "pathology": (
        _t(Pathology.malignant, "malignant", "carcinoma", "cancer", "invasive ductal carcinoma",
           "ductal carcinoma in situ", "dcis", "idc", "ilc"),
        _t(Pathology.high_risk, "high-risk lesion", "atypical ductal hyperplasia", "adh",
           "radial scar", "lobular carcinoma in situ", "lcis"),
        _t(Pathology.benign, "benign", "fibroadenoma", "cyst", "fibrocystic change",
           legacy=("benign without callback",)),
    ),
    "modality": (
        _t(Modality.mammography, "mammography", "mammogram", "mammographic", "mammo"),
        _t(Modality.tomosynthesis, "tomosynthesis", "dbt", "3d mammography"),
        _t(Modality.ultrasound, "ultrasound", "sonography", "sonographic", "us"),
        _t(Modality.mri, "mri", "magnetic resonance", "breast mri"),
    ),
    "indication": (
        _t(Indication.screening, "screening", "screening mammogram", "routine screening",
           legacy=("scr", "screen")),
        _t(Indication.diagnostic, "diagnostic", "diagnostic mammogram", "diagnostic evaluation",
           "workup", "work-up", legacy=("symptomatic",)),
    ),
    "recommendation": (
        _t(_R.routine_screening, "routine screening mammography",
           "routine screening", "annual screening", "annual mammography",
           "routine mammographic screening", "return to routine screening",
           "annual screening mammogram", "routine annual screening",
           legacy=("routine recall", "annual mammogram", "annual diagnostic mammography",
                   "annual diagnostic mammogram", "rtn 1y", "annual follow up",
                   "routine annual follow up")),
        _t(_R.short_interval_follow_up, "short-interval follow-up",
           "short interval follow-up", "short interval follow up", "6-month follow-up",
           "six month follow-up", "6 month follow up", "follow-up in 6 months"),
        _t(_R.additional_imaging, "additional imaging evaluation", "additional imaging",
           "additional views", "diagnostic mammography", "spot compression views",
           "recall for additional imaging", legacy=("diagnostic mammogram",)),
        _t(_R.ultrasound, "targeted ultrasound", "ultrasound", "sonographic evaluation",
           "sonography"),
        _t(_R.mri, "breast MRI", "mri", "magnetic resonance imaging"),
        _t(_R.biopsy, "biopsy", "tissue sampling", "tissue diagnosis",
           "stereotactic biopsy", "core needle biopsy", "ultrasound-guided biopsy",
           "image-guided biopsy", legacy=("core biopsy",)),
        _t(_R.surgical_consultation, "surgical consultation", "surgical consult",
           "surgical referral", "surgical excision", "surgical evaluation"),
        _t(_R.comparison_with_prior, "comparison with prior examinations",
           "comparison with prior", "prior films for comparison",
           "obtain prior mammograms"),
        _t(_R.clinical_correlation, "clinical correlation", "clinical follow-up",
           "clinical management"),
    ),
    "implant_material": (
        _t(ImplantMaterial.saline, "saline"),
        _t(ImplantMaterial.silicone, "silicone", "gel"),
    ),
    "implant_position": (
        _t(ImplantPosition.subglandular, "subglandular", "prepectoral", "retroglandular"),
        _t(ImplantPosition.subpectoral, "subpectoral", "retropectoral", "submuscular"),
    ),
}

# The assessment hierarchy ACR uses to combine per-breast assessments into the overall one
# (least to most worrisome): 1 < 2 < 3 < 6 < 0 < 4 < 4A < 4B < 4C < 5.
ASSESSMENT_HIERARCHY: tuple[Assessment, ...] = (
    Assessment.c1, Assessment.c2, Assessment.c3, Assessment.c6, Assessment.c0,
    Assessment.c4, Assessment.c4A, Assessment.c4B, Assessment.c4C, Assessment.c5,
)

# Ordinal order for classification labels (likelihood of malignancy; 0 and 6 at the ends of
# their own kind): 0, 1, 2, 3, 4, 4A, 4B, 4C, 5, 6.
ASSESSMENT_ORDINAL: tuple[Assessment, ...] = tuple(Assessment)

#: The management ACR attaches to each category (what a writer recommends by default).
DEFAULT_RECOMMENDATION: dict[Assessment, Recommendation] = {
    Assessment.c0: Recommendation.additional_imaging,
    Assessment.c1: Recommendation.routine_screening,
    Assessment.c2: Recommendation.routine_screening,
    Assessment.c3: Recommendation.short_interval_follow_up,
    Assessment.c4: Recommendation.biopsy,
    Assessment.c4A: Recommendation.biopsy,
    Assessment.c4B: Recommendation.biopsy,
    Assessment.c4C: Recommendation.biopsy,
    Assessment.c5: Recommendation.biopsy,
    Assessment.c6: Recommendation.surgical_consultation,
}

#: Which descriptor fields belong to which finding kind (a margin on a calcification is invalid).
KIND_DESCRIPTORS: dict[FindingKind, frozenset[str]] = {
    FindingKind.mass: frozenset({"shape", "margin", "density"}),
    FindingKind.calcification: frozenset({"morphology", "distribution"}),
    FindingKind.asymmetry: frozenset({"asymmetry_type"}),
    FindingKind.architectural_distortion: frozenset(),
    FindingKind.lymph_node: frozenset(),
    FindingKind.skin_lesion: frozenset(),
    FindingKind.dilated_duct: frozenset(),
    FindingKind.implant: frozenset({"implant_material", "implant_position", "implant_rupture"}),
}
ALL_DESCRIPTORS: frozenset[str] = frozenset().union(*KIND_DESCRIPTORS.values())


def fields() -> tuple[str, ...]:
    """The lexicon-controlled field names."""
    return tuple(_TERMS)


def terms(field_name: str) -> tuple[Term, ...]:
    """All entries of one field, in lexicon order."""
    try:
        return _TERMS[field_name]
    except KeyError:
        raise KeyError(f"unknown lexicon field {field_name!r}; known: {', '.join(_TERMS)}") from None


def term(field_name: str, value: str | Enum) -> Term:
    """The entry of one value of one field."""
    v = value.value if isinstance(value, Enum) else str(value)
    for t in terms(field_name):
        if t.value == v:
            return t
    raise KeyError(f"{v!r} is not a {field_name} term")


def phrase(field_name: str, value: str | Enum) -> str:
    """The 5th-edition wording of a value, for writers."""
    return term(field_name, value).phrase


def synonyms(field_name: str, value: str | Enum, *, legacy: bool = True) -> tuple[str, ...]:
    """All accepted wordings of a value (phrase first), legacy ones too unless asked not to."""
    t = term(field_name, value)
    return t.surface_forms if legacy else (t.phrase, *t.synonyms)


def _norm_text(s: str) -> str:
    s = s.lower().replace("\u2019", "'").replace("\u2010", "-").replace("\u2013", "-")
    return re.sub(r"\s+", " ", s).strip(" .,:;")


@lru_cache(maxsize=None)
def _surface_index(field_name: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for t in terms(field_name):
        for form in (t.value, *t.surface_forms):
            index.setdefault(_norm_text(form), t.value)
    return index


def normalize(field_name: str, text: str) -> str | None:
    """Map one wording (any case, synonym or legacy term) to its canonical value, or None."""
    return _surface_index(field_name).get(_norm_text(text))


def surface_forms(field_name: str) -> dict[str, str]:
    """Every accepted wording of a field (lower-cased) -> canonical value; for parsers."""
    return dict(_surface_index(field_name))


def enum_of(field_name: str) -> type[Enum]:
    return ENUMS[field_name]


def _check_complete() -> None:
    """Every enum value has exactly one lexicon entry (checked at import, cheap)."""
    for name, enum_cls in ENUMS.items():
        values = [t.value for t in _TERMS[name]]
        expected = [m.value for m in enum_cls]  # type: ignore[attr-defined]
        if sorted(values) != sorted(expected):
            raise AssertionError(f"lexicon field {name}: {values} != {expected}")


_check_complete()
