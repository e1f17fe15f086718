"""Letter numbers given by the system, from the issuing authority's pattern, per authority and year.

The pattern is the authority's row (`oversight_authorities.letter_format`, `app/agencies/reference/authorities.json`;
Admin → Otoritas pengawas), e.g. `R-{seq}/{short}/{month}/{year}` or `{seq:04d}/{short}/REK/{roman_month}/{year}`.
Placeholders: `{seq}` (the number in the year's series; a format such as `{seq:04d}` pads it), `{short}` (the
authority's short name), `{month}` (1-12), `{mm}` (01-12), `{roman_month}` (I-XII), `{year}` (four digits). A
pattern must hold `{seq}` and `{year}`: the series starts again each year, so without the year a number would
come back.

The number is taken in the issuing transaction from the counter row of the authority, series and year
(`letter_counters`): an upsert that holds the row's lock until commit on PostgreSQL, SQLite's single writer
otherwise. So two commissioners issuing at once get consecutive numbers, and an issue that fails or rolls back
returns its number with its transaction: the series has no gap and no number twice. The letter's year and month
are those of its date (the day of issue in the agency's zone, as the letter is dated and its deadline counted).

Escalation letters (levels 2 and 3) draw from the same series when the sweep reaches their level
(`number_escalation_letters`, in the sweep batch's transaction, a batch's numbers taken in one statement): one
series for every letter the authority writes about cases, so a recommendation letter and an escalation letter
never share a number under the same pattern.

An authority that numbers its letters in its own records system sets `letter_manual` on its row: then the API's
`letter_number` is taken as given (checked unique for the authority) and the system numbers only what comes
without one. The shipped rows (KASN, BKN) leave it off: the system numbers every letter, and a number typed into
the API is refused (422) with the pattern that will be used.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.agencies.authority import AuthorityProfile
from app.db import db, on_postgresql
from app.errors import ValidationFailed
from app.models.auth import User
from app.models.letters import IssuedLetter, LetterCounter

log = logging.getLogger(__name__)

# The series every letter of an authority about a case is numbered in (recommendation and escalation letters).
SERIES_RECOMMENDATION = "rekomendasi"
PLACEHOLDERS = frozenset({"seq", "short", "month", "mm", "roman_month", "year"})
REQUIRED_PLACEHOLDERS = ("seq", "year")
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
MAX_NUMBER_LENGTH = 100


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot number letters (in Indonesian), or None when it can."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError:
        return "Pola nomor surat tidak sah (kurung kurawal tidak berpasangan)."
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
        return f"Penanda tidak dikenal: {', '.join(unknown)}. Yang dikenal: {allowed}."
    missing = [name for name in REQUIRED_PLACEHOLDERS if name not in names]
    if missing:
        return f"Pola nomor surat wajib memuat {' dan '.join('{' + m + '}' for m in missing)}."
    try:
        format_number(pattern, seq=1, short="X", day=date(2026, 1, 1))
    except (ValueError, KeyError, IndexError, TypeError):
        return "Pola nomor surat tidak sah (format penanda salah)."
    return None


def format_number(pattern: str, *, seq: int, short: str, day: date) -> str:
    """The number `seq` of the series as `pattern` writes it on `day`."""
    return pattern.format(
        seq=seq,
        short=short,
        month=day.month,
        mm=f"{day.month:02d}",
        roman_month=ROMAN_MONTHS[day.month - 1],
        year=day.year,
    )


def _check_pattern(profile: AuthorityProfile) -> str:
    problem = pattern_problem(profile.letter_format)
    if problem:
        raise ValidationFailed(
            f"Nomor surat {profile.short_name} tidak dapat dibuat: {problem} Administrator memperbaikinya di "
            "Admin → Otoritas pengawas.",
            details={"fields": {"letter_number": [problem]}},
        )
    return profile.letter_format


def take_next(authority: str, series: str, year: int) -> int:
    """The next number of the series, taken: the counter row is created or incremented in the caller's
    transaction, and stays locked until it ends (gap-free and unique under concurrent issuing)."""
    return take_many(authority, series, year, 1)[0]


def take_many(authority: str, series: str, year: int, count: int) -> range:
    """The next `count` numbers of the series, taken in one statement (as `take_next`)."""
    if on_postgresql():
        stmt = (
            pg_insert(LetterCounter)
            .values(authority=authority, series=series, year=year, last_value=count)
            .on_conflict_do_update(
                index_elements=["authority", "series", "year"], set_={"last_value": LetterCounter.last_value + count}
            )
            .returning(LetterCounter.last_value)
        )
        last = int(db.session.execute(stmt).scalar_one())
        return range(last - count + 1, last + 1)
    where = (LetterCounter.authority == authority, LetterCounter.series == series, LetterCounter.year == year)
    value = db.session.execute(
        update(LetterCounter).where(*where).values(last_value=LetterCounter.last_value + count)
        .returning(LetterCounter.last_value)
    ).scalar()  # fmt: skip
    if value is None:
        db.session.execute(
            insert(LetterCounter).values(authority=authority, series=series, year=year, last_value=count)
        )
        value = count
    return range(int(value) - count + 1, int(value) + 1)


def peek_next(authority: str, series: str, year: int) -> int:
    """The number the series would give now (not taken: another issue may take it first)."""
    last = db.session.scalar(
        select(LetterCounter.last_value).where(
            LetterCounter.authority == authority, LetterCounter.series == series, LetterCounter.year == year
        )
    )
    return (last or 0) + 1


@dataclass(frozen=True)
class Signer:
    title: str
    name: str | None


def signer_for(profile: AuthorityProfile) -> Signer:
    """Who signs the authority's letter: the signing official by the title on the authority's row (or the
    deployment's LETTER_SIGNATORY_TITLE), named when the deployment names its official (LETTER_SIGNATORY_NAME).
    Never the user who pressed the button: a PPK and a ministry read the authority's acts by role and office, not
    by its staff's names (README, "What a PPK and a ministry see")."""
    config = current_app.config
    title = str(config.get("LETTER_SIGNATORY_TITLE") or profile.signer_title)
    name = str(config.get("LETTER_SIGNATORY_NAME") or "").strip()
    return Signer(title=title, name=name or None)


def preview_number(profile: AuthorityProfile, day: date) -> str | None:
    """The number the next recommendation letter of `profile` would get on `day` (for the confirmation page), or
    None when its pattern cannot make one."""
    if pattern_problem(profile.letter_format):
        return None
    seq = peek_next(profile.short_name, SERIES_RECOMMENDATION, day.year)
    return format_number(profile.letter_format, seq=seq, short=profile.short_name, day=day)


def _taken(authority: str, number: str) -> bool:
    stmt = select(IssuedLetter.id).where(IssuedLetter.authority == authority, IssuedLetter.number == number)
    return db.session.scalar(stmt) is not None


def number_recommendation_letter(
    case: Any, profile: AuthorityProfile, actor: User | None, day: date, at: datetime, given: str | None = None
) -> IssuedLetter:
    """Give the recommendation letter of `case` its number and add it to the register (the caller flushes).

    `given` (the API's `letter_number`) is taken only when the authority numbers its letters itself
    (`letter_manual`), and only once per authority; otherwise it is refused with 422. Raises ValidationFailed.
    """
    authority, signer = profile.short_name, signer_for(profile)
    seq: int | None = None
    if given:
        if not profile.letter_manual:
            message = (
                f"Nomor surat rekomendasi diberikan oleh sistem menurut pola {profile.letter_format} "
                f"({authority}); kosongkan letter_number."
            )
            raise ValidationFailed(message, details={"fields": {"letter_number": [message]}})
        if _taken(authority, given):
            message = f"Nomor surat {given} sudah dipakai surat {authority} lain."
            raise ValidationFailed(message, details={"fields": {"letter_number": [message]}})
        number = given
    else:
        pattern = _check_pattern(profile)
        while True:  # a number an authority once typed by hand is never given again
            seq = take_next(authority, SERIES_RECOMMENDATION, day.year)
            number = format_number(pattern, seq=seq, short=authority, day=day)
            if not _taken(authority, number):
                break
        if len(number) > MAX_NUMBER_LENGTH:
            raise ValidationFailed(
                f"Nomor surat lebih dari {MAX_NUMBER_LENGTH} karakter; administrator memperpendek polanya.",
                details={"fields": {"letter_number": ["terlalu panjang"]}},
            )
    row = IssuedLetter(
        case_id=case.id,
        kind="recommendation",
        authority=authority,
        series=SERIES_RECOMMENDATION,
        year=day.year,
        seq=seq,
        number=number,
        issued_at=at,
        issued_by_id=actor.id if actor is not None else None,
        signer_title=signer.title,
        signer_name=signer.name,
    )
    db.session.add(row)  # flushed with the event (fire() flushes the status and its columns at once)
    return row


# The escalation levels that write a letter (to the ministry; the final report).
LETTER_LEVELS = (2, 3)


def letter_number_of(case_id: int, level: int, cycle: int | None = None) -> str | None:
    """The register's number of the case's escalation letter of `level` (of `cycle`, else the latest)."""
    stmt = select(IssuedLetter.number).where(
        IssuedLetter.case_id == case_id, IssuedLetter.kind == f"escalation-{level}"
    )
    if cycle is not None:
        stmt = stmt.where(IssuedLetter.cycle == cycle)
    return db.session.scalar(stmt.order_by(IssuedLetter.cycle.desc()).limit(1))


@dataclass(frozen=True)
class EscalationLetter:
    """An escalation letter the sweep writes: its case, level, cycle, issuing authority and date."""

    case_id: int
    level: int
    cycle: int
    profile: AuthorityProfile
    day: date  # the day the level was reached, in the agency's zone (the letter's date)
    at: datetime


def number_escalation_letters(letters: list[EscalationLetter]) -> dict[tuple[int, int, int], str]:
    """Give each escalation letter its number from its authority's series of its year and add it to the register
    (the caller flushes); a batch's numbers are taken in one statement per authority and year. An authority whose
    pattern cannot make a number gets none (the letter shows the case's own reference) and is logged. Returns
    the numbers by (case, level, cycle)."""
    groups: dict[tuple[str, int], list[EscalationLetter]] = {}
    for letter in letters:
        groups.setdefault((letter.profile.short_name, letter.day.year), []).append(letter)
    numbers: dict[tuple[int, int, int], str] = {}
    for (authority, year), group in groups.items():
        pattern = group[0].profile.letter_format
        longest = (
            format_number(pattern, seq=10**7, short=authority, day=date(year, 12, 31))
            if not pattern_problem(pattern)
            else None
        )
        if longest is None or len(longest) > MAX_NUMBER_LENGTH:
            log.error("escalation letters of %s are not numbered: its letter pattern is not valid", authority)
            continue
        signer = signer_for(group[0].profile)
        for letter, seq in zip(group, take_many(authority, SERIES_RECOMMENDATION, year, len(group)), strict=True):
            number = format_number(pattern, seq=seq, short=authority, day=letter.day)
            while _taken(authority, number):  # a number once typed by hand is never given again
                seq = take_next(authority, SERIES_RECOMMENDATION, year)
                number = format_number(pattern, seq=seq, short=authority, day=letter.day)
            db.session.add(
                IssuedLetter(
                    case_id=letter.case_id,
                    kind=f"escalation-{letter.level}",
                    cycle=letter.cycle,
                    authority=authority,
                    series=SERIES_RECOMMENDATION,
                    year=year,
                    seq=seq,
                    number=number,
                    issued_at=letter.at,
                    issued_by_id=None,
                    signer_title=signer.title,
                    signer_name=signer.name,
                )
            )
            numbers[(letter.case_id, letter.level, letter.cycle)] = number
    return numbers
