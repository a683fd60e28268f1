"""rules.render: every rule's message rendered at every level and status it can have, in
both languages, says what its level says: no "approaching" wording under 【超期】, no
"overdue" wording under 【临期】, no forecast under 【违规】, and the status it has."""

from datetime import datetime
from string import Formatter
from types import SimpleNamespace

import pytest

from rules.catalogue import load_catalogue
from rules.obligations import Obligation, ViolationHit
from rules.periods import Due
from rules.render import obligation_warning, violation_warning, withdrawn
from schemas.enums import Level, Status

CATALOGUE = load_catalogue()
DUE = datetime.fromisoformat("2026-05-12T10:00:00+08:00")

#: Words that foretell a limit (it is running out): wrong once it has passed, and for a
#: violation, which is an act already done.
APPROACHING_WORDS = {
    "zh": ("将满", "将届满", "将到期", "即将", "临近", "快到", "尚余", "还剩"),
    "en": ("approaching", "running out", "will expire", "will run out", "about to", "soon",
           "nearly", "is near", "draws near", "remaining"),
}
#: Words that say a limit has passed: wrong while it is only approaching.
OVERDUE_WORDS = {
    "zh": ("已超期", "已届满", "已过期", "已超过", "超过期限", "已逾期", "逾期未"),
    "en": ("overdue", "expired", "has run out", "have run out", "past due", "has passed",
           "is over", "exceeded"),
}
TAG = {"zh": {Level.approaching: "【临期】", Level.overdue: "【超期】",
              Level.violation: "【违规】"},
       "en": {Level.approaching: "[approaching]", Level.overdue: "[overdue]",
              Level.violation: "[violation]"}}
STATUS_WORDS = {"zh": {Status.resolved: "已办结", Status.withdrawn: "已撤回"},
                "en": {Status.resolved: "(resolved", Status.withdrawn: "(withdrawn)"}}

# (level, status, late) an obligation's warning can have: resolved late only once overdue
STATES = [
    (Level.approaching, Status.open, None),
    (Level.approaching, Status.resolved, False),
    (Level.approaching, Status.withdrawn, None),
    (Level.overdue, Status.open, None),
    (Level.overdue, Status.resolved, True),
    (Level.overdue, Status.resolved, False),  # a lawful exemption after the due
    (Level.overdue, Status.withdrawn, None),
]


def trigger(rule_id: str):
    return SimpleNamespace(event_id="E1", case_id="C1", person_id="P1", unit_id="U3301",
                           occurred_at=DUE, event_type=rule_id)


def placeholders(rule) -> dict[str, tuple[str, str]]:
    """A neutral value for each placeholder of the rule's messages besides the due."""
    names = {name for text in (rule.message_zh, rule.message_en)
             for _, name, _, _ in Formatter().parse(text) if name and name != "due_at"}
    return {name: ("甲", "A") for name in names}


def rendered():
    """(rule id, level, status, warning) for every rule and state."""
    for rule in CATALOGUE.deadlines:
        for level, status, late in STATES:
            ob = Obligation(rule, trigger(rule.id), Due(DUE, False), level=level, level_at=DUE,
                            status=status, status_at=DUE, late=late)
            yield rule.id, level, status, obligation_warning(ob, False, "")
    for rule in CATALOGUE.violations:
        hit = ViolationHit(rule.id, trigger(rule.id), ["E1"], DUE, fill=placeholders(rule))
        w = violation_warning(rule, hit, "")
        yield rule.id, Level.violation, Status.open, w
        yield rule.id, Level.violation, Status.withdrawn, withdrawn(w, DUE, "E2")


CASES = list(rendered())


@pytest.mark.parametrize("rule_id, level, status, w", CASES,
                         ids=[f"{r}-{lv.value}-{s.value}-{i}" for i, (r, lv, s, _) in
                              enumerate(CASES)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_words_agree_with_the_level_and_the_status(rule_id, level, status, w, lang):
    text = w.message_zh if lang == "zh" else w.message_en
    assert text.startswith(TAG[lang][level]), text
    wrong = {Level.approaching: OVERDUE_WORDS, Level.overdue: APPROACHING_WORDS,
             Level.violation: APPROACHING_WORDS}[level][lang]
    found = [word for word in wrong if word in text.lower()]
    assert not found, f"{rule_id} under {level.value}: {found} in {text!r}"
    for other, word in STATUS_WORDS[lang].items():
        assert (word in text) == (status == other), text
    assert "{" not in text and "}" not in text, text  # every placeholder filled


def test_custody_limit_overdue_no_longer_says_it_is_running_out():
    """The fault issue 14 names: 期限将满 under 【超期】."""
    (w,) = [w for r, lv, s, w in CASES
            if (r, lv, s) == ("custody_limit", Level.overdue, Status.open)]
    assert "将满" not in w.message_zh and "running out" not in w.message_en
    assert "2026-05-12 10:00" in w.message_zh and "2026-05-12 10:00" in w.message_en
