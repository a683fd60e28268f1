"""Realistic case lifecycles as contract events (the JSON of events.md), for load tests,
demos and property tests.

Deterministic: the same `random.Random` state gives the same events. A criminal case is
accepted and filed, its persons summoned, questioned, detained, arrested, bailed or
transferred for prosecution, with dossier documents filed before each stage and defence
lawyers' meetings; property is seized, handed over and disposed of after the decision;
administrative cases may end in administrative detention. Most duties are done in good time;
a small share is done inside the warning lead, late, or never, and a few events break a rule
outright (short approvals, an unlawful notice exemption, an extension filed after expiry, an
unjustified 30-day extension, custody extensions out of order, a document missing).
A few events are published twice (same `event_id`, same body) and a few cases carry a
mistaken record and its retraction. Ids are pseudonymous: persons `P…`, units `U…`,
officers `O…`, approving leaders `L…`; no names.

    for event in generate_events(10_000, seed=7):
        ...

`generate_events` yields the events case by case (each case in order of `occurred_at`,
cases in order of their start); shuffle them to imitate an untrusted publication order.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random

CST_OFFSET = timedelta(hours=8)
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC) - CST_OFFSET  # 2026-01-01T00:00:00+08:00
DEFAULT_CASES_PER_DAY = 200.0

# Shares of how a duty is done (per duty, independently).
P_NEVER = 0.02  # never done
P_LATE = 0.045  # done after the due
P_IN_LEAD = 0.10  # done inside the lead window: an `approaching` warning, then resolved
P_DUPLICATE = 0.006  # an event published a second time, same body
P_RETRACTION = 0.03  # a case with a mistaken record, retracted later
P_ADMINISTRATIVE = 0.3

UNITS = tuple(f"U{n}" for n in (*range(3301, 3312), *range(3401, 3409), *range(3501, 3506)))
SOURCES = ("jz-platform", "jz-platform", "jz-platform", "xz-legacy")

MINUTE = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Period:
    """A legal period as the generator sees it: safe until `nominal`, surely over after
    `nominal + slack` (day and month periods end at 24:00, holidays may push them)."""

    nominal: timedelta
    lead: timedelta
    slack: timedelta = timedelta(0)


def hours(n: float, lead: float) -> Period:
    return Period(n * H, lead * H)


def days(n: float, lead: timedelta, holiday: bool = False) -> Period:
    return Period(n * D, lead, D + (10 * D if holiday else timedelta(0)))


def months(shortest_days: int, lead: timedelta, holiday: bool = False) -> Period:
    """N months: at least `shortest_days` days, at most 4 more (and the holiday shift)."""
    return Period(shortest_days * D, lead, 5 * D + (10 * D if holiday else timedelta(0)))


SUMMONS, SUMMONS_EXT = hours(12, 2), hours(24, 2)
DAY_DUTY = hours(24, 4)  # jail transfer, family notice, first interrogation, arrest execution
DET_3, DET_7, DET_30 = days(3, D), days(7, D), days(30, 5 * D)
ARREST_DECISION = days(7, 2 * D)
RELEASE_ON_DENIAL = hours(12, 4)
CUSTODY = [months(59, 15 * D), months(89, 15 * D), months(150, 15 * D), months(212, 15 * D)]
BAIL = months(365, 30 * D, holiday=True)
RS = months(181, 15 * D, holiday=True)
SUPP = months(28, 7 * D, holiday=True)
MEASURE_CHANGE = days(3, D, holiday=True)
ADM_QUESTIONING, ADM_QUESTIONING_EXT = hours(8, 2), hours(24, 2)
ADM_CASE, ADM_CASE_EXT = days(30, 5 * D, holiday=True), days(60, 5 * D, holiday=True)
ADM_DELIVERY = days(2, 12 * H, holiday=True)
FILING, FILING_7, FILING_30 = days(3, D, True), days(7, D, True), days(30, 5 * D, True)
QUESTIONING = [hours(12, 2), hours(24, 2), hours(48, 4)]  # continued questioning, by extensions
QUESTIONING_NOTICE = hours(4, 2)
PROPERTY_HANDOVER = DAY_DUTY
PROPERTY_DISPOSAL = days(3, D, holiday=True)
LAWYER_MEETING = hours(48, 12)
P_DOCUMENT_MISSING = 0.01  # a document the dossier checklist wants, never filed


class _Case:
    """One case being written: its envelope fields and the events so far."""

    def __init__(self, rng: Random, case_no: int, start: datetime, kind: str):
        self.rng, self.start, self.kind = rng, start, kind
        self.unit_id = rng.choice(UNITS)
        year = (start + CST_OFFSET).year
        prefix = "A" if kind == "criminal" else "X"
        self.case_id = f"{prefix}{self.unit_id[1:]}{year}{case_no:08d}"
        self.source = rng.choice(SOURCES) if kind == "administrative" else SOURCES[0]
        self.utc = self.source == "xz-legacy"  # an old system that reports in UTC
        self.officers = [f"O{self.unit_id[1:]}{n:03d}" for n in rng.sample(range(1, 400), 3)]
        self.special = False
        self.items: list[tuple[str, datetime]] = []  # seized property not yet disposed of
        self.dossiers: dict[str, set[str]] = {}  # documents filed per person
        self.events: list[dict] = []
        self._seq = 0
        self._persons: set[str] = set()

    # -- ids and envelope ------------------------------------------------------------------

    def new_person(self) -> str:
        while True:
            pid = f"P{self.rng.randrange(10**9, 10**10)}"
            if pid not in self._persons:
                self._persons.add(pid)
                return pid

    def leader(self, role: str = "deputy") -> str:
        n = {"chief": 1, "unit_head": self.rng.randrange(20, 40), "legal": 50}.get(
            role, self.rng.randrange(2, 6)
        )
        return f"L{self.unit_id[1:]}{n:02d}"

    def approvals(self, short: bool) -> list[dict]:
        """Approvals of bail or residential surveillance; `short` breaks the local policy."""
        if self.special:
            roles = ["unit_head", "deputy"] if short else ["unit_head", "chief"]
        else:
            roles = ["unit_head"] if short else ["unit_head", self.rng.choice(("deputy", "legal"))]
        return [{"approver_id": self.leader(r), "role": r} for r in roles]

    def _stamp(self, at: datetime) -> str:
        if self.utc:
            return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return (at.astimezone(UTC) + CST_OFFSET).replace(tzinfo=None).isoformat(
            timespec="seconds"
        ) + "+08:00"

    def emit(self, event_type: str, at: datetime, person: str | None = None, **details) -> dict:
        self._seq += 1
        at = at.replace(microsecond=0)
        lag = timedelta(minutes=self.rng.lognormvariate(3.0, 1.0))
        if self.rng.random() < 0.03:
            lag += timedelta(days=self.rng.uniform(1, 5))  # entered days later
        event = {
            "event_id": f"{self.case_id}-{self._seq:04d}",
            "schema_version": 1,
            "event_type": event_type,
            "occurred_at": self._stamp(at),
            "recorded_at": self._stamp(at + lag),
            "case_id": self.case_id,
            "case_kind": self.kind,
            "unit_id": self.unit_id,
            "officer_ids": self.rng.sample(self.officers, 2),
            "source": self.source,
        }
        if person is not None:
            event["person_id"] = person
        if details:
            event["details"] = details
        self.events.append(event)
        event["_at"] = at  # sorting key, removed before the event leaves
        return event

    # -- timing ----------------------------------------------------------------------------

    def within(self, p: Period, floor: timedelta = MINUTE * 10,
               after: timedelta | None = None) -> timedelta | None:
        """How long after its trigger a duty of period `p` is done; None: never.

        `after`: the duty cannot be done before this offset (e.g. an extension filed first);
        when it lies past the due, the duty is necessarily late.
        """
        rng = self.rng
        lo = floor if after is None else max(floor, after + MINUTE * 10)
        r = rng.random()
        if r < P_NEVER:
            return None
        if r < P_NEVER + P_LATE or lo >= p.nominal - MINUTE:
            return max(p.nominal + p.slack, lo) + rng.uniform(0.02, 0.4) * p.nominal
        lead_opens = max(p.nominal - p.lead, lo)
        if r < P_NEVER + P_LATE + P_IN_LEAD or lead_opens <= lo:
            return rng.uniform(lead_opens, p.nominal - MINUTE)
        return rng.uniform(lo, lead_opens)

    def early(self, p: Period, share: float = 1.0) -> timedelta:
        """A moment safely inside the period (before its lead opens)."""
        return self.rng.uniform(0.1, share) * (p.nominal - p.lead)

    def close_at(self, at: datetime) -> None:
        self.emit("case_closed", at, reason=self.rng.choice(("no_crime", "withdrawn", "other")))


# -- criminal ---------------------------------------------------------------------------


def _summons(c: _Case, pid: str, t: datetime, then_detained: bool) -> datetime:
    """A summons; returns when it ended (the detention, if any, follows at once)."""
    rng = c.rng
    c.emit("summons_started", t, pid, kind="summons" if rng.random() < 0.85 else
           "compulsory_appearance")
    period, ext = SUMMONS, None
    if rng.random() < 0.06:
        late_ext = rng.random() < 0.08  # filed after the 12 h had run out
        ext = rng.uniform(12.2, 13) * H if late_ext else rng.uniform(7, 11.5) * H
        c.emit("summons_extended", t + ext, pid, approved_by=c.leader())
        if not late_ext:
            period = SUMMONS_EXT
    took = c.within(period, floor=40 * MINUTE, after=ext)
    end = t + (took if took is not None else period.nominal + rng.uniform(1, 6) * H)
    if then_detained and rng.random() < 0.5:
        return end  # the detention itself ends the summons
    c.emit("summons_ended", end, pid)
    if not then_detained and rng.random() < 0.02:  # summoned again too soon: 变相拘禁
        again = end + rng.uniform(1, 7.5) * H
        c.emit("summons_started", again, pid, kind="summons")
        end = again + rng.uniform(2, 8) * H
        c.emit("summons_ended", end, pid)
    return end + rng.uniform(5, 40) * MINUTE


def _family_notice(c: _Case, pid: str, t: datetime, measure: str,
                   period: Period = DAY_DUTY) -> None:
    """Notify the family of `measure` within `period`, or file an exemption (sometimes
    unlawful)."""
    rng = c.rng
    r = rng.random()
    if r < 0.05:
        lawful = ("cannot_notify", "hinders_investigation") if measure == "detention" else (
            "cannot_notify",)
        reason = rng.choice(lawful)
        if measure != "detention" and rng.random() < 0.3:
            reason = "hinders_investigation"  # unlawful for this measure
        at = t + c.early(period)
        c.emit("family_notice_exempted", at, pid, measure=measure, reason=reason,
               approved_by=c.leader())
        if reason in lawful and rng.random() < 0.6:
            ended = at + rng.uniform(1, 10) * period.nominal
            c.emit("notice_exemption_ended", ended, pid, measure=measure)
            took = c.within(period)
            if took is not None:
                c.emit("family_notified", ended + took, pid, measure=measure)
        elif reason not in lawful:
            c.emit("family_notified", t + rng.uniform(1, 4) * period.nominal, pid,
                   measure=measure)
        return
    took = c.within(period)
    if took is not None:
        c.emit("family_notified", t + took, pid, measure=measure)


def _dossier(c: _Case, pid: str, t: datetime, documents: tuple[str, ...]) -> None:
    """File the documents a stage at `t` needs that the person's dossier lacks (a few are
    forgotten: evidence_checklist)."""
    filed = c.dossiers.setdefault(pid, set())
    for doc in documents:
        if doc in filed:
            continue
        filed.add(doc)  # forgotten or not, it is not looked for again
        if c.rng.random() >= P_DOCUMENT_MISSING:
            at = max(t - c.rng.uniform(0.2, 20) * H, c.start)
            c.emit("document_filed", at, pid, doc_type=doc)


ARREST_DOSSIER = ("case_filing_decision", "rights_notice", "interrogation_record",
                  "arrest_request_form")
PROSECUTION_DOSSIER = ("case_filing_decision", "rights_notice", "interrogation_record",
                       "prosecution_opinion")


def _lawyer_meeting(c: _Case, pid: str, t: datetime) -> None:
    """A defence lawyer asks to meet the person in custody; sometimes the case needs the
    investigators' permission (CPL 39③), and then no 48-hour duty runs."""
    rng = c.rng
    if rng.random() >= 0.3:
        return
    at = t + rng.uniform(2, 72) * H
    if rng.random() < 0.05:
        c.emit("lawyer_meeting_requested", at, pid, approval_required=True)
        c.emit("lawyer_meeting_held", at + rng.uniform(3, 9) * D, pid)
        return
    c.emit("lawyer_meeting_requested", at, pid)
    took = c.within(LAWYER_MEETING, floor=H)
    if took is not None:
        c.emit("lawyer_meeting_held", at + took, pid)


def _continued_questioning(c: _Case, pid: str, t: datetime) -> datetime:
    """Taken to the station for continued questioning; returns when it ended."""
    rng = c.rng
    c.emit("continued_questioning_started", t, pid)
    _family_notice(c, pid, t, "continued_questioning", QUESTIONING_NOTICE)
    step, last = 0, None
    while step < 2 and rng.random() < (0.08, 0.25)[step]:
        late_ext = rng.random() < 0.05  # approved after the limit had run out
        period = QUESTIONING[step].nominal
        last = period + rng.uniform(0.1, 1) * H if late_ext else period - rng.uniform(1, 4) * H
        c.emit("continued_questioning_extended", t + last, pid, approved_by=c.leader())
        if late_ext:
            break
        step += 1
    took = c.within(QUESTIONING[step], floor=H, after=last)
    end = t + (took if took is not None else QUESTIONING[step].nominal + rng.uniform(1, 8) * H)
    c.emit("continued_questioning_ended", end, pid)
    return end + rng.uniform(5, 40) * MINUTE


def _seizures(c: _Case, t: datetime) -> None:
    """Property seized in the case, each item handed to the custodian (a few are returned
    at once instead)."""
    rng = c.rng
    if rng.random() >= 0.3:
        return
    for _ in range(rng.choice((1, 1, 2, 3))):
        at = t + rng.uniform(1, 30) * H
        item = f"W{c.case_id[1:]}{len(c.items) + 1:02d}"
        c.emit("property_seized", at, property_id=item)
        if rng.random() < 0.05:  # unrelated to the case: returned within the 24 h
            c.emit("property_disposed", at + rng.uniform(1, 20) * H, property_id=item)
            continue
        took = c.within(PROPERTY_HANDOVER, floor=30 * MINUTE)
        if took is not None:
            c.emit("property_handed_over", at + took, property_id=item)
        c.items.append((item, at))


def _dispose_items(c: _Case, decided: datetime) -> None:
    """After the case's decision every item still held is returned, transferred or confiscated."""
    for item, _ in c.items:
        took = c.within(PROPERTY_DISPOSAL, floor=2 * H)
        if took is not None:
            c.emit("property_disposed", decided + took, property_id=item)
    c.items = []


def _interrogations(c: _Case, pid: str, t: datetime, until: timedelta) -> None:
    took = c.within(DAY_DUTY, floor=30 * MINUTE)
    if took is not None:
        c.emit("interrogated", t + took, pid)
    for _ in range(c.rng.randrange(0, 3)):
        c.emit("interrogated", t + c.rng.uniform(1, max(until / D, 1.5)) * D, pid)


def _detention(c: _Case, pid: str, t: datetime) -> None:
    rng = c.rng
    flags = []
    if rng.random() < 0.25:
        flags = rng.sample(["roving", "repeated", "group"], rng.randrange(1, 3))
    if flags or rng.random() < 0.5:
        c.emit("detained", t, pid, suspect_flags=flags)
    else:
        c.emit("detained", t, pid)
    took = c.within(DAY_DUTY)
    if took is not None:
        c.emit("sent_to_jail", t + took, pid, facility_id=f"F{c.unit_id[1:]}{rng.randrange(1, 4)}")
    _family_notice(c, pid, t, "detention")
    _interrogations(c, pid, t, 3 * D)
    _lawyer_meeting(c, pid, t)

    outcome = rng.random()
    if outcome < 0.80:  # arrest requested, maybe after extending the period
        period, ext = DET_3, None
        r = rng.random()
        if r < 0.25:
            late_ext = rng.random() < 0.03  # filed after the 3 days had run out
            ext = rng.uniform(4.1, 4.6) * D if late_ext else rng.uniform(1.2, 2.8) * D
            c.emit("detention_period_extended", t + ext, pid, to_days=7, approved_by=c.leader())
            period = DET_3 if late_ext else DET_7
        elif r < 0.37 and (flags or rng.random() < 0.15):  # 30 days: only for flagged suspects
            ext = rng.uniform(1, 2.5) * D
            c.emit("detention_period_extended", t + ext, pid, to_days=30, approved_by=c.leader())
            period = DET_30 if flags else DET_3
        took = c.within(period, floor=12 * H, after=ext)
        if took is None:
            return  # held with no request ever recorded
        _arrest_request(c, pid, t + took)
        return
    at = t + c.early(DET_3)
    if outcome < 0.88:
        c.emit("released", at, pid, reason=rng.choice(("no_crime", "insufficient_evidence")))
    elif outcome < 0.95:
        _bail(c, pid, at)
    else:
        _rs(c, pid, at)


def _arrest_request(c: _Case, pid: str, t: datetime) -> None:
    rng = c.rng
    _dossier(c, pid, t, ARREST_DOSSIER)
    c.emit("arrest_requested", t, pid)
    took = c.within(ARREST_DECISION, floor=D)
    if took is None:
        return
    decided = t + took
    if rng.random() < 0.85:
        c.emit("arrest_approved", decided, pid)
        took = c.within(DAY_DUTY, floor=20 * MINUTE)
        if took is not None:
            _arrest(c, pid, decided + took)
        return
    c.emit("arrest_denied", decided, pid)
    took = c.within(RELEASE_ON_DENIAL, floor=20 * MINUTE)
    if took is None:
        return
    r = rng.random()
    if r < 0.6:
        c.emit("released", decided + took, pid, reason="arrest_denied")
    elif r < 0.9:
        _bail(c, pid, decided + took)
    else:
        _rs(c, pid, decided + took)


def _arrest(c: _Case, pid: str, t: datetime) -> None:
    rng = c.rng
    c.emit("arrested", t, pid)
    _family_notice(c, pid, t, "arrest")
    _interrogations(c, pid, t, 20 * D)
    _lawyer_meeting(c, pid, t)
    anchor, step, period, last = t, 0, CUSTODY[0], None
    if rng.random() < 0.02:  # a new major crime found: the limit is counted afresh
        anchor = t + rng.uniform(10, 40) * D
        c.emit("custody_recounted", anchor, pid,
               reason=rng.choice(("new_major_crime", "identity_established")))
    r = rng.random()
    wanted = 0 if r < 0.70 else 1 if r < 0.85 else 2 if r < 0.95 else 3
    for basis in ("cpl_156", "cpl_158", "cpl_159")[:wanted]:
        lawful = False
        if rng.random() < 0.03:  # the wrong basis: extends nothing
            basis = {"cpl_156": "cpl_158", "cpl_158": "cpl_159", "cpl_159": "cpl_156"}[basis]
            last = period.nominal - rng.uniform(5, 20) * D
        elif rng.random() < 0.015:  # filed after the limit had run out: extends nothing
            last = period.nominal + period.slack + rng.uniform(1, 4) * D
        else:
            last, lawful = period.nominal - rng.uniform(3, 14) * D, True
        c.emit("custody_extended", anchor + last, pid, basis=basis,
               approved_by=c.leader("unit_head"))
        if not lawful:
            break
        step += 1
        period = CUSTODY[step]
    took = c.within(period, floor=20 * D, after=last)
    if took is None:
        return
    end = anchor + took
    if rng.random() < 0.08:
        _measure_change(c, pid, t + rng.uniform(0.05, 0.9) * (end - t))
    r = rng.random()
    if r < 0.88:
        _prosecution(c, pid, end)
    elif r < 0.95:
        _bail(c, pid, end)
    else:
        c.emit("released", end, pid, reason=rng.choice(("no_crime", "insufficient_evidence")))


def _prosecution(c: _Case, pid: str, t: datetime) -> None:
    rng = c.rng
    _dossier(c, pid, t, PROSECUTION_DOSSIER)
    c.emit("transferred_for_prosecution", t, pid)
    returns = 0
    while returns < 3 and rng.random() < (0.2, 0.3, 0.15)[returns]:
        returns += 1
        t += rng.uniform(10, 40) * D
        c.emit("returned_for_supplementary_investigation", t, pid)
        took = c.within(SUPP, floor=3 * D)
        if took is None:
            return
        t += took
        c.emit("supplementary_investigation_completed", t, pid)


def _measure_change(c: _Case, pid: str, t: datetime) -> None:
    c.emit("measure_change_requested", t, pid)
    took = c.within(MEASURE_CHANGE, floor=2 * H)
    if took is not None:
        c.emit("measure_change_decided", t + took, pid, granted=c.rng.random() < 0.3)


def _bail(c: _Case, pid: str, t: datetime) -> None:
    rng = c.rng
    c.emit("bail_started", t, pid, approvals=c.approvals(short=rng.random() < 0.04))
    r = rng.random()
    if r < 0.5:
        end = t + rng.uniform(30, 300) * D
        _prosecution(c, pid, end)
    elif r < 0.55:
        end = t + rng.uniform(10, 200) * D
        _arrest(c, pid, end)
    else:
        took = c.within(BAIL, floor=30 * D)
        end = t + (took if took is not None else BAIL.nominal)
        if took is not None:
            c.emit("bail_ended", end, pid)
    if rng.random() < 0.05:
        _measure_change(c, pid, t + rng.uniform(0.05, 0.8) * (end - t))


def _rs(c: _Case, pid: str, t: datetime) -> None:
    rng = c.rng
    designated = rng.random() < 0.25
    c.emit("rs_started", t, pid, designated=designated,
           approvals=c.approvals(short=rng.random() < 0.04))
    if designated:
        _family_notice(c, pid, t, "designated_rs")
    r = rng.random()
    if r < 0.5:
        _prosecution(c, pid, t + rng.uniform(20, 150) * D)
    else:
        took = c.within(RS, floor=20 * D)
        if took is not None:
            c.emit("rs_ended", t + took, pid)


def _criminal_person(c: _Case, pid: str, t: datetime) -> None:
    rng = c.rng
    r = rng.random()
    measure = "detention" if r < 0.62 else "bail" if r < 0.8 else "rs" if r < 0.88 else None
    if rng.random() < 0.12:  # brought in from the street: continued questioning first
        t = _continued_questioning(c, pid, t)
    if measure is None or rng.random() < 0.65:  # no measure: summoned, questioned, let go
        t = _summons(c, pid, t, then_detained=measure == "detention")
    else:
        t += rng.uniform(0, 12) * H
    if measure == "detention":
        _detention(c, pid, t)
    elif measure == "bail":
        _bail(c, pid, t)
    elif measure == "rs":
        _rs(c, pid, t)


# -- administrative ---------------------------------------------------------------------


def _administrative(c: _Case, persons: list[str]) -> None:
    rng = c.rng
    t = c.start
    c.emit("admin_case_accepted", t)
    for pid in persons:
        q = t + rng.uniform(0, 3) * D
        c.emit("admin_questioning_started", q, pid)
        period, ext = ADM_QUESTIONING, None
        if rng.random() < 0.1:
            late_ext = rng.random() < 0.05  # filed after the 8 h had run out
            ext = rng.uniform(8.2, 9) * H if late_ext else rng.uniform(4, 7.5) * H
            c.emit("admin_questioning_extended", q + ext, pid, approved_by=c.leader())
            period = ADM_QUESTIONING if late_ext else ADM_QUESTIONING_EXT
        took = c.within(period, floor=30 * MINUTE, after=ext)
        if took is not None:
            c.emit("admin_questioning_ended", q + took, pid)
    _seizures(c, t)
    period, ext = ADM_CASE, None
    if rng.random() < 0.1:
        late_ext = rng.random() < 0.05  # filed after the 30 days had run out
        ext = rng.uniform(42, 45) * D if late_ext else rng.uniform(18, 24) * D
        c.emit("admin_case_extended", t + ext, approved_by=c.leader())
        period = ADM_CASE if late_ext else ADM_CASE_EXT
    took = c.within(period, floor=4 * H, after=ext)
    if took is None:
        return
    decided = t + took
    c.emit("admin_case_decided", decided)
    took = c.within(ADM_DELIVERY, floor=30 * MINUTE)
    if took is not None:
        c.emit("admin_decision_served", decided + took)
    for pid in persons:
        if rng.random() < 0.3:
            _admin_detention(c, pid, decided + rng.uniform(5, 60) * MINUTE)
    _dispose_items(c, decided)


def _admin_detention(c: _Case, pid: str, t: datetime) -> None:
    """Administrative detention decided, the family notified, the person taken to the
    detention house (a few are not: 依法不执行)."""
    c.emit("admin_detention_decided", t, pid)
    _family_notice(c, pid, t, "admin_detention")
    if c.rng.random() < 0.9:
        c.emit("admin_detention_executed", t + c.rng.uniform(0.5, 6) * H, pid)


def _filing(c: _Case, start: datetime) -> datetime:
    """The case is accepted at `start` and filed (立案) mostly within 3 days; a few reviews
    are extended to 7 or 30 days, a few never decided on. Returns when the investigation
    begins: the filing, or (never filed) some time after the acceptance."""
    rng = c.rng
    period, ext, to_days = FILING, None, None
    r = rng.random()
    if r < 0.13:
        period, to_days = (FILING_7, 7) if r < 0.10 else (FILING_30, 30)
        ext = rng.uniform(1.2, 2.5) * D
    c.emit("criminal_case_accepted", start)
    if ext is not None:
        c.emit("filing_review_extended", start + ext, to_days=to_days, approved_by=c.leader())
    took = c.within(period, floor=2 * H, after=ext)
    if took is None:
        return start + rng.uniform(0.5, 2) * D
    c.emit("filing_decided", start + took, filed=True)
    return start + took


# -- a whole case -----------------------------------------------------------------------


def _retraction(c: _Case) -> None:
    """A mistaken record and its retraction: a spurious event, or a wrong one corrected."""
    rng = c.rng
    person_events = [e for e in c.events if "person_id" in e]
    if not person_events:
        return
    if rng.random() < 0.5:
        base = rng.choice(person_events)
        wrong = c.emit(rng.choice(("interrogated", "released", "sent_to_jail")),
                       base["_at"] + rng.uniform(1, 30) * H, base["person_id"])
        if wrong["event_type"] == "released":
            wrong["details"] = {"reason": "entered in error"}
    else:  # a correction: retract the original, record it again at the right time
        wrong = rng.choice(person_events)
        at = max(wrong["_at"] + rng.uniform(-50, 50) * MINUTE, c.start)
        c.emit(wrong["event_type"], at, wrong["person_id"], **wrong.get("details", {}))
    at = wrong["_at"] + rng.uniform(0.5, 72) * H
    c.emit("event_retracted", at, retracts_event_id=wrong["event_id"])


def case_lifecycle(rng: Random, case_no: int, start: datetime) -> list[dict]:
    """One case's events in order of `occurred_at` (duplicates next to their original)."""
    if start.tzinfo is None:
        raise ValueError("start must be offset-aware")
    kind = "administrative" if rng.random() < P_ADMINISTRATIVE else "criminal"
    c = _Case(rng, case_no, start, kind)
    n_persons = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
    persons = [c.new_person() for _ in range(n_persons)]
    if kind == "administrative":
        _administrative(c, persons)
    else:
        filed = _filing(c, start)
        if rng.random() < 0.08:
            c.special = True
            c.emit("case_flagged_special", filed)
        _seizures(c, filed)
        for pid in persons:
            _criminal_person(c, pid, filed + rng.uniform(0, 48) * H)
    if rng.random() < P_RETRACTION:
        _retraction(c)
    events = sorted(c.events, key=lambda e: (e["_at"], e["event_id"]))
    if kind == "criminal" and rng.random() < 0.04 and len(events) > 2:
        closed = events[rng.randrange(1, len(events))]["_at"] + rng.uniform(1, 48) * H
        events = [e for e in events if e["_at"] <= closed]
        c.events = events
        c.close_at(closed)  # appended to `events`
        c.items = [(item, at) for item, at in c.items if at <= closed]
        _dispose_items(c, closed)  # after the closure
        events = sorted(c.events, key=lambda e: (e["_at"], e["event_id"]))
    out: list[dict] = []
    for event in events:
        del event["_at"]
        out.append(event)
        if rng.random() < P_DUPLICATE:
            out.append(dict(event))
    return out


def generate_events(
    n_events: int,
    seed: int = 1,
    start: datetime = DEFAULT_START,
    cases_per_day: float = DEFAULT_CASES_PER_DAY,
) -> Iterator[dict]:
    """Exactly `n_events` events (the last case may be cut short), case after case.

    Cases open `cases_per_day` a day from `start`, at random hours.
    """
    if start.tzinfo is None:
        raise ValueError("start must be offset-aware")
    rng = Random(seed)
    emitted, case_no = 0, 0
    spacing = D / cases_per_day
    while emitted < n_events:
        case_no += 1
        case_start = start + (case_no - 1) * spacing + rng.uniform(0, 1) * spacing
        for event in case_lifecycle(rng, case_no, case_start):
            if emitted >= n_events:
                return
            yield event
            emitted += 1
