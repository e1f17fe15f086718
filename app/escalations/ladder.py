"""The escalation ladder as data (DESIGN §4): when each level is reached, its email, and who receives it.

The defaults below can be replaced with the `ESCALATION_LADDER` setting (a list of mappings of the same
shape). A level is reached at the end of a working day counted from the due day — `offset` working days
after it (before it when negative), or after the day of the level named by `after`, in the agency's own
calendar and zone. Recipient rules: `ppk` (the agency's PPK mailbox and PPK users), `investigator` (the
recommendation's drafter, else the case's creator), `ministry` (the routed supervising ministry: Menpan-RB for
central agencies, Kemendagri for regional ones, or the agency's override), `governor` (the governor's office,
i.e. the province's PPK, for a kabupaten/kota), `kasn`, `bkn`, `menpanrb`, `kemendagri` (official mailboxes),
`authority` (the mailboxes of the authority that issued the recommendation, app/escalations/routing.py).

Level 3 belongs to the authority that issued the recommendation: its row (app/agencies/reference/authorities.json)
may name who receives it (`level3_to`, `level3_cc`), and then those rules replace the rung's (`for_authority`), so a
KASN-era recommendation still open keeps KASN's ladder and a BKN-era one follows BKN's.

An authority's row may also carry a whole ladder of its own (`ladder`: a JSON list of the `ESCALATION_LADDER` shape,
`ladder_of`): the recommendations it issued climb that ladder (when each level is reached, its label, its
recipients), the others the configured one. A row without one (KASN's and BKN's as shipped) uses the configured
ladder, so the next body with other deadlines for its levels is one row more, no code change.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import time
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context

from config import ConfigError

log = logging.getLogger(__name__)

RECIPIENT_RULES = frozenset(
    {"ppk", "investigator", "ministry", "governor", "kasn", "bkn", "menpanrb", "kemendagri", "authority"}
)
MAX_LEVEL = 3  # the database allows levels 0..3
# The level whose recipients the issuing authority's row decides (its final report, under its own powers).
AUTHORITY_LEVEL = 3

DEFAULT_LADDER: tuple[dict[str, Any], ...] = (
    {"level": 0, "kind": "reminder", "label": "Pengingat", "offset": -3, "to": ["ppk"], "cc": []},
    {"level": 1, "kind": "overdue", "label": "Lewat tenggat", "offset": 1, "to": ["ppk"], "cc": ["investigator"]},
    {
        "level": 2,
        "kind": "escalation",
        "label": "Eskalasi ke kementerian",
        "offset": 5,
        "to": ["ministry"],
        "cc": ["governor", "ppk", "kasn"],
    },
    {
        "level": 3,
        "kind": "final_report",
        "label": "Laporan akhir",
        "offset": 14,
        "after": 2,
        "to": ["kasn"],
        "cc": ["ministry", "bkn"],
    },
)


@dataclass(frozen=True)
class Rung:
    level: int
    kind: str
    label: str
    offset: int
    after: int | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    # Working days from the due day, `after` resolved (level 3 = 5 + 14 = 19 by default).
    days_from_due: int

    @property
    def recipients_rules(self) -> tuple[str, ...]:
        return self.to + self.cc


@dataclass(frozen=True)
class Ladder:
    rungs: tuple[Rung, ...]

    @property
    def top(self) -> int:
        return self.rungs[-1].level

    def rung(self, level: int) -> Rung:
        return self.rungs[level]

    def __iter__(self) -> Any:
        return iter(self.rungs)


def _rung(raw: Mapping[str, Any], resolved: dict[int, int], index: int) -> Rung:
    try:
        level = int(raw["level"])
        kind = str(raw["kind"])
        offset = int(raw["offset"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"ESCALATION_LADDER[{index}]: level, kind and offset are required ({exc})") from exc
    if level != index:
        raise ConfigError(f"ESCALATION_LADDER: levels must be 0, 1, 2 ... in order (got {level} at {index})")
    after = raw.get("after")
    if after is not None:
        after = int(after)
        if after not in resolved:
            raise ConfigError(f"ESCALATION_LADDER level {level}: 'after' must name a lower level")
        if offset < 1:
            raise ConfigError(f"ESCALATION_LADDER level {level}: an offset after a level must be at least 1")
        days_from_due = resolved[after] + offset
    else:
        days_from_due = offset
    to = tuple(raw.get("to") or ())
    cc = tuple(raw.get("cc") or ())
    unknown = set(to + cc) - RECIPIENT_RULES
    if unknown:
        raise ConfigError(f"ESCALATION_LADDER level {level}: unknown recipients {sorted(unknown)}")
    if not to:
        raise ConfigError(f"ESCALATION_LADDER level {level}: 'to' is empty")
    return Rung(
        level=level,
        kind=kind,
        label=str(raw.get("label") or kind),
        offset=offset,
        after=after,
        to=to,
        cc=cc,
        days_from_due=days_from_due,
    )


def build_ladder(raw: Sequence[Mapping[str, Any]]) -> Ladder:
    """Validate a ladder definition: consecutive levels from 0, at most 4, each strictly later than the last."""
    if not raw:
        raise ConfigError("ESCALATION_LADDER is empty")
    if len(raw) > MAX_LEVEL + 1:
        raise ConfigError(f"ESCALATION_LADDER: at most {MAX_LEVEL + 1} levels")
    resolved: dict[int, int] = {}
    rungs = []
    for index, item in enumerate(raw):
        rung = _rung(item, resolved, index)
        if rungs and rung.days_from_due <= rungs[-1].days_from_due:
            raise ConfigError(f"ESCALATION_LADDER level {rung.level}: must come after level {rung.level - 1}")
        resolved[rung.level] = rung.days_from_due
        rungs.append(rung)
    return Ladder(tuple(rungs))


def for_authority(rung: Rung, to: Sequence[str], cc: Sequence[str]) -> Rung:
    """`rung` as the issuing authority's row says for its level-3 escalation: its `to` and `cc` rules replace the
    rung's (an empty `to` keeps the rung's own recipients); other levels, and rules the ladder does not know
    (a typo in a row: logged, left out), are left as they are."""
    if rung.level != AUTHORITY_LEVEL or not (to or cc):
        return rung
    unknown = sorted((set(to) | set(cc)) - RECIPIENT_RULES)
    if unknown:
        log.warning("level-3 recipients of an authority's row: unknown rules %s left out", unknown)
    known_to = tuple(rule for rule in to if rule in RECIPIENT_RULES)
    known_cc = tuple(rule for rule in cc if rule in RECIPIENT_RULES and rule not in known_to)
    return replace(rung, to=known_to or rung.to, cc=known_cc if cc else rung.cc)


def load_ladder() -> Ladder:
    """The configured ladder (`ESCALATION_LADDER`), else the defaults of DESIGN §4."""
    raw = current_app.config.get("ESCALATION_LADDER") if has_app_context() else None
    if isinstance(raw, str):  # from an environment variable: JSON
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"ESCALATION_LADDER is not valid JSON: {exc}") from exc
    return build_ladder(raw or DEFAULT_LADDER)


def ladder_of(raw: str | None) -> Ladder:
    """The ladder an authority's row names (`ladder`, JSON), else the configured one (`load_ladder`). A row's
    ladder that does not parse (the admin form and the reference loader refuse one) is logged and the configured
    ladder climbed instead: a typo in a row never stops the sweep."""
    text = (raw or "").strip()
    if not text:
        return load_ladder()
    try:
        return parse_ladder(text)
    except ConfigError as exc:
        log.error("an authority's ladder is not valid, the configured ladder is used: %s", exc)
        return load_ladder()


@lru_cache(maxsize=32)
def parse_ladder(text: str) -> Ladder:
    """A ladder written as JSON (an authority's row, the admin form), validated as `ESCALATION_LADDER` is."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"ESCALATION_LADDER is not valid JSON: {exc}") from exc
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        raise ConfigError("ESCALATION_LADDER must be a list of levels")
    return build_ladder(raw)


def incumbent_shift() -> int:
    """How many levels earlier an incumbent PPK's neutrality case climbs (`INCUMBENT_ESCALATION_SHIFT`, default 1;
    0 turns it off)."""
    raw = current_app.config.get("INCUMBENT_ESCALATION_SHIFT", 1) if has_app_context() else 1
    try:
        shift = int(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"INCUMBENT_ESCALATION_SHIFT must be a whole number, got {raw!r}") from exc
    if not 0 <= shift <= MAX_LEVEL:
        raise ConfigError(f"INCUMBENT_ESCALATION_SHIFT must be between 0 and {MAX_LEVEL}, got {shift}")
    return shift


@lru_cache(maxsize=32)
def incumbent_ladder(ladder: Ladder, shift: int) -> Ladder:
    """`ladder` as an incumbent PPK's neutrality case climbs it: `shift` levels earlier once the deadline has passed.

    The levels up to the first one after the due day (by default level 1, the day after it) keep their day: a PPK
    is not escalated before being late, and the reminder is no escalation. Each later level N falls on the day of
    level max(N - shift, that first level): at any moment after the deadline, the case stands `shift` levels higher
    than another case due the same day (at most the top), so with the default ladder and shift 1 the ministry
    (level 2) is involved the day after the deadline, together with the overdue notice (level 1, then passed over),
    and the final report (level 3) falls on level 2's day. The labels, recipients and letters stay the rungs' own.
    """
    if shift <= 0:
        return ladder
    late = next((rung.level for rung in ladder if rung.days_from_due > 0), None)
    if late is None:
        return ladder
    rungs = [
        rung
        if rung.level <= late
        else replace(rung, days_from_due=ladder.rung(max(rung.level - shift, late)).days_from_due)
        for rung in ladder
    ]
    return Ladder(tuple(rungs))


def case_ladder_for(ladder: Ladder, incumbent: bool) -> Ladder:
    """The ladder a case climbs, given the ladder of its recommendation's authority (`ladder_of`, `load_ladder`) and
    whether its PPK in office is a candidate in its election (app/models/people.py `incumbencies`): the one place
    that decides it, for the sweep, the case page, the deadline calendar and the import."""
    return incumbent_ladder(ladder, incumbent_shift()) if incumbent else ladder


def early_levels(base: Ladder, climbed: Ladder) -> frozenset[int]:
    """The levels `climbed` reaches before `base` does (an incumbent's ladder against its own)."""
    return frozenset(a.level for a, b in zip(base, climbed, strict=True) if b.days_from_due < a.days_from_due)


def working_hours() -> tuple[time, time]:
    """Emails to people go out between these local times of a working day (`WORKING_HOURS_START`/`_END`)."""
    config = current_app.config if has_app_context() else {}
    start = time.fromisoformat(str(config.get("WORKING_HOURS_START", "08:00")))
    end = time.fromisoformat(str(config.get("WORKING_HOURS_END", "16:00")))
    if end <= start:
        raise ConfigError("WORKING_HOURS_END must be after WORKING_HOURS_START")
    return start, end
