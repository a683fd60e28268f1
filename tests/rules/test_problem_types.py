"""rules/problems.toml, the catalogue of problem types, and its checks
(rules/problem_types.py): every quoted basis stands word for word in the article it names."""

import re

import pytest
from rulekit import article_of

from rules.problem_types import (
    PROBLEMS_FILE,
    ProblemTypesError,
    load_problem_types,
    parse_problem_types,
    problem_types,
)

TYPES = problem_types()
TEXT = PROBLEMS_FILE.read_text(encoding="utf-8")
QUOTED = [(t.code, b) for t in TYPES.types for b in t.basis]


def test_the_common_dossier_and_procedure_problems_are_there():
    codes = set(TYPES.by_code)
    assert {"record_unsigned", "notice_served_late", "evidence_list_incomplete",
            "property_unregistered", "wrong_legal_basis", "visit_unsatisfied"} <= codes
    assert {t.category for t in TYPES.types} == set(TYPES.categories)
    assert TYPES.categories["dossier"].title_zh == "卷宗质量"
    assert TYPES.by_code["record_unsigned"].points == 2.0


@pytest.mark.parametrize("code, basis", QUOTED, ids=[f"{c}-{b.ref}" for c, b in QUOTED])
def test_a_quoted_basis_is_in_the_article_it_names(code, basis):
    assert basis.law, f"{code}: {basis.ref} quotes no law file"
    assert basis.text_zh in article_of(basis)


@pytest.mark.parametrize("old, new, needle", [
    ('code = "other"', 'code = "record_unsigned"', "appears twice"),
    ('category = "other"', 'category = "misc"', "is not a [categories] entry"),
    ("points = 1\n", "points = -1\n", "points must be a number"),
    ("points = 1\n", 'points = "1"\n', "points must be a number"),
    ('code = "other"', 'code = "Other Thing"', "lower-case"),
    ('title_zh = "其他问题"', 'title_zh = ""', "title_zh must be a non-empty string"),
    ("[categories.other]", "[categories_other]", "is not a [categories] entry"),
    ("[[types]]", "[[typez]]", None),
], ids=["duplicate", "unknown category", "negative points", "text points", "bad code",
        "empty title", "category gone", "no types at all"])
def test_a_broken_catalogue_is_refused_with_the_key_named(tmp_path, old, new, needle):
    assert old in TEXT
    path = tmp_path / "problems.toml"
    path.write_text(TEXT.replace(old, new), encoding="utf-8")
    if needle is None:  # every [[types]] renamed: the file has none
        with pytest.raises(ProblemTypesError, match="types"):
            load_problem_types(path)
        return
    with pytest.raises(ProblemTypesError, match="problems.toml: .*" + re.escape(needle)):
        load_problem_types(path)


def test_not_toml_at_all_is_refused():
    with pytest.raises(ProblemTypesError, match="not valid TOML"):
        parse_problem_types("[[types]\n")
