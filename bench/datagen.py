"""Benchmark data: 650 agencies and 1,000,000 cases over ten years, in a realistic mix of states.

    .venv/bin/python -m bench.datagen [--cases 1000000] [--agencies 650] [--years 10] [--seed 2026]
                                      [--database-url URL] [--history] [--levels-as-of ISO]
    BENCH_SCALE=small .venv/bin/python -m bench.datagen        # 20,000 cases, for a quick run

Each case is simulated forward from its report date with random but plausible delays: review, dismissal
(about one in six), drafting, issue of the recommendation with its deadline in working days (the real
calendar: weekends, national holidays, cuti bersama), acknowledgment, a written objection now and then
(the clock pauses and a new cycle starts), and the PPK's follow-up — prompt, late, or never. Whatever has
not happened by `now` has not happened, so old cases are mostly finished and recent ones are in every
state. Escalation steps follow the configured ladder exactly as the sweep would have recorded them had it
run all along (`--levels-as-of`, default now: a sweep at that instant finds nothing to do; an earlier
instant leaves work for it).

The database is emptied first: a new SQLite file (default `instance/bench/dataset-<cases>-<seed>.db`), or
the `public` schema of BENCH_DATABASE_URL / --database-url dropped and migrated again — point it at a
throwaway PostgreSQL database. Rows are written in bulk (COPY on PostgreSQL, executemany on SQLite) with
explicit ids, then the sequences are moved past them and the tables analysed.

`dataset()` is the entry for other benchmarks: it returns a ready database, reusing the SQLite file of a
previous run when its parameters and migration revision match.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.calendar.working_days import Calendar
from app.cases.importing import recommendation_row

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "instance" / "bench"
SCALES = {"full": 1_000_000, "small": 20_000}
BENCH_PASSWORD = "kata-sandi-bench-2026"  # noqa: S105 - benchmark users on a throwaway database
SECRET_KEY = "bench-secret-key-" + "0123456789" * 4
CHUNK = 20_000

FIRST_NAMES = [
    "Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Sri", "Eko", "Ahmad", "Nur", "Yusuf", "Wahyu", "Indah",
    "Rahmat", "Fitri", "Hendra", "Ratna", "Joko", "Lestari", "Made", "Ketut", "Nyoman", "Putu", "Maria", "Yohanes",
    "Samuel", "Dian", "Bayu", "Intan", "Ayu", "Hadi", "Fajar", "Rizki", "Taufik", "Wulan", "Arif", "Kartika",
]  # fmt: skip
LAST_NAMES = [
    "Santoso", "Wijaya", "Saputra", "Hidayat", "Nugroho", "Setiawan", "Kurniawan", "Pratama", "Lubis", "Siregar",
    "Nasution", "Harahap", "Simanjuntak", "Tanjung", "Hasibuan", "Wibowo", "Susanto", "Gunawan", "Hakim", "Rahman",
    "Syahputra", "Putri", "Sari", "Utami", "Wati", "Suryani", "Manurung", "Pohan",
]  # fmt: skip
POSITIONS = (
    "Analis Kepegawaian",
    "Kepala Dinas",
    "Camat",
    "Lurah",
    "Guru",
    "Kepala Sekolah",
    "Pengadministrasi Umum",
    "Sekretaris Daerah",
    "Kepala Bidang",
    "Auditor",
    "Perawat",
    "Dokter",
    "Penyuluh Pertanian",
    "Pranata Komputer",
)
SUMMARIES = {
    "netralitas": "Diduga tidak netral: {sub} menjelang pemilihan di wilayah kerja terlapor.",
    "perbuatan_tidak_menyenangkan": "Diduga berkata kasar dan merendahkan rekan kerja di depan umum.",
    "masalah_rumah_tangga": "Dilaporkan menelantarkan keluarga dan tidak memberikan nafkah.",
    "perbuatan_sewenang_wenang": "Diduga memutasi bawahan secara sewenang-wenang tanpa dasar penilaian.",
    "kode_etik_lainnya": "Diduga menyalahgunakan fasilitas dinas untuk kepentingan pribadi.",
}
# Categories by weight; neutrality cases surge in election years.
CATEGORY_WEIGHTS = {
    "netralitas": 45,
    "perbuatan_tidak_menyenangkan": 15,
    "masalah_rumah_tangga": 10,
    "perbuatan_sewenang_wenang": 10,
    "kode_etik_lainnya": 20,
}
ELECTION_YEARS = {2018, 2019, 2020, 2023, 2024}
SOURCE_WEIGHTS = {"bawaslu": 35, "public": 30, "media": 10, "monitoring": 15, "agency": 10}
SANCTION_WEIGHTS = {
    "sanksi_moral_tertutup": 20,
    "sanksi_moral_terbuka": 15,
    "disiplin_ringan": 25,
    "disiplin_sedang": 25,
    "disiplin_berat": 13,
    "ptdh": 2,
}
SANCTIONS = list(SANCTION_WEIGHTS)
LEGAL_BASIS = "PP 94/2021 tentang Disiplin PNS; PP 42/2004; SKB 2/2022 tentang Pedoman Netralitas ASN"
# What the PPK does after receiving a recommendation.
BEHAVIOURS = {"prompt": 58, "late": 25, "never": 10, "clarify": 7}


def scaled_cases(default: int | None = None) -> int:
    """The number of cases for BENCH_SCALE (full: 1,000,000; small: 20,000); an explicit value wins."""
    if default is not None:
        return default
    return SCALES.get(os.environ.get("BENCH_SCALE", "full").strip().lower(), SCALES["full"])


def _weighted(weights: dict[str, int]) -> tuple[list[str], list[int]]:
    keys = list(weights)
    return keys, list(itertools.accumulate(weights[k] for k in keys))


# -- the application and the database ----------------------------------------------------------------------------


def make_app(url: str, **overrides: Any) -> Any:
    from app import create_app

    config = {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "SCHEDULER_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SUPPRESS_SEND": True,
    }
    config.update(overrides)
    return create_app(config)


def schema_fingerprint() -> str:
    """Digest of the migration scripts: a cached data set is regenerated when the schema changed."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def reset_database(app: Any) -> None:
    """An empty database at the newest migration (SQLite: a new file; PostgreSQL: the public schema dropped)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.db import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        elif db.engine.url.database:
            db.engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db.engine.url.database}{suffix}").unlink(missing_ok=True)
        upgrade(directory=str(ROOT / "migrations"))
        db.session.remove()


# -- people, numbers, places -----------------------------------------------------------------------------------


def make_nip(rng: random.Random, before_year: int) -> str:
    """A valid NIP: birth date, appointment year (18-35 years later, not after `before_year`), month, sex, seq."""
    latest_birth = before_year - 20
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, (date(latest_birth, 12, 31) - date(1960, 1, 1)).days))
    year = min(birth.year + rng.randint(19, 35), before_year)
    return f"{birth:%Y%m%d}{year:04d}{rng.randint(1, 12):02d}{rng.choice('12')}{rng.randint(1, 999):03d}"


@dataclass(frozen=True)
class AgencyRow:
    id: int
    code: str
    kind: str
    timezone: str
    body: str


@dataclass
class Stats:
    cases: int = 0
    recommendations: int = 0
    follow_ups: int = 0
    clarifications: int = 0
    steps: int = 0
    history: int = 0
    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "recommendations": self.recommendations,
            "follow_ups": self.follow_ups,
            "clarifications": self.clarifications,
            "escalation_steps": self.steps,
            "history": self.history,
            "statuses": dict(sorted(self.statuses.items())),
            "seconds": round(self.seconds, 1),
        }


class _Stop(Exception):
    """The next event would happen after `now`: the case stays where it is."""


# -- the generator ---------------------------------------------------------------------------------------------


class Generator:
    """Simulates cases one by one and writes them in chunks."""

    def __init__(
        self,
        *,
        agencies: list[AgencyRow],
        staff: dict[str, list[tuple[int, str]]],
        ppk_users: dict[int, tuple[int, str]],
        now: datetime,
        years: int,
        seed: int,
        history: bool,
        levels_as_of: datetime,
    ) -> None:
        from app.escalations.ladder import load_ladder

        self.rng = random.Random(seed)
        self.agencies = agencies
        # A few agencies report far more than others (large provinces, big ministries).
        weights = [self.rng.paretovariate(1.3) for _ in agencies]
        self.agency_cum = list(itertools.accumulate(weights))
        self.staff = staff
        self.ppk_users = ppk_users
        self.now = now
        self.levels_as_of = levels_as_of
        self.start = now - timedelta(days=round(365.25 * years))
        self.history = history
        # The national working-day calendar (no overrides), memoised: day arithmetic is the hottest path here.
        self.calendar = Calendar()
        self.ladder = list(load_ladder())
        self.categories = _weighted(CATEGORY_WEIGHTS)
        self.sources = _weighted(SOURCE_WEIGHTS)
        self.sanctions = _weighted(SANCTION_WEIGHTS)
        self.behaviours = _weighted(BEHAVIOURS)
        self.subcategories = list(_subcategories())
        self.zones: dict[str, ZoneInfo] = {}
        self.numbers: Counter = Counter()
        self.letters: Counter = Counter()
        self.ids = {name: itertools.count(1) for name in ("rec", "follow_up", "clarification", "step", "history")}
        # Volume grows over the years (more reports, more agencies reporting): a linear ramp of report dates.
        self.span = (now - self.start).total_seconds()

    # -- small helpers -----------------------------------------------------------------------------------------
    def zone(self, name: str) -> ZoneInfo:
        found = self.zones.get(name)
        if found is None:
            found = self.zones[name] = ZoneInfo(name)
        return found

    def local_day(self, instant: datetime, tz: str) -> date:
        return instant.astimezone(self.zone(tz)).date()

    def at(self, day: date, tz: str, hour: float) -> datetime:
        local = datetime.combine(day, dtime(0), tzinfo=self.zone(tz)) + timedelta(hours=hour)
        return local.astimezone(UTC)

    def end_of(self, day: date, tz: str) -> datetime:
        return datetime.combine(day, dtime.max, tzinfo=self.zone(tz)).astimezone(UTC)

    def pick(self, table: tuple[list[str], list[int]]) -> str:
        keys, cum = table
        return keys[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def report_instant(self) -> datetime:
        # Density rising linearly to twice the first year's: inverse of the CDF of f(x) = (1 + x) / 1.5.
        u = self.rng.random()
        x = (-1 + (1 + 3 * u) ** 0.5) if u else 0.0
        return self.start + timedelta(seconds=x * self.span)

    def working_hours_after(self, instant: datetime, tz: str, days: float) -> datetime:
        """`days` calendar days later, moved into working hours (08-16) of a working day in the zone."""
        moment = instant + timedelta(days=days)
        day = self.local_day(moment, tz)
        if not self.calendar.is_working_day(day):
            day = self.calendar.add_working_days(day, 1)
        return self.at(day, tz, 8 + self.rng.random() * 8)

    def staff_member(self, role: str) -> tuple[int, str]:
        return self.rng.choice(self.staff[role])

    # -- one case ------------------------------------------------------------------------------------------------
    def case(self, case_id: int, out: dict[str, list]) -> str:
        rng = self.rng
        agency = self.agencies[bisect.bisect_right(self.agency_cum, rng.random() * self.agency_cum[-1])]
        tz = agency.timezone
        created = self.report_instant()
        year = created.year
        category = self.pick(self.categories)
        if category != "netralitas" and year in ELECTION_YEARS and rng.random() < 0.35:
            category = "netralitas"
        sub = rng.choice(self.subcategories) if category == "netralitas" else None
        investigator = self.staff_member("investigator")
        self.numbers[year] += 1
        occurred = self.local_day(created, tz) - timedelta(days=rng.randint(1, 60))
        with_reporter = rng.random() < 0.4
        case: dict[str, Any] = {
            "id": case_id,
            "number": f"NKK-{year}-{self.numbers[year]:06d}",
            "agency_id": agency.id,
            "category": category,
            "subcategory": sub[0] if sub else None,
            "source": self.pick(self.sources),
            "reported_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "reported_nip": make_nip(rng, year),
            "reported_position": rng.choice(POSITIONS),
            "summary": SUMMARIES[category].format(sub=sub[1].lower() if sub else ""),
            "occurred_on": occurred,
            "reporter_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" if with_reporter else None,
            "reporter_contact": f"pelapor{case_id}@contoh.id" if with_reporter else None,
            "status": "reported",
            "version": 1,
            "dismiss_reason": None,
            "close_reason": None,
            "external_ref": None,
            "created_by_id": investigator[0],
            "assignee_id": investigator[0],  # a new case is assigned to its creator (app.cases.services)
            "created_at": created,
            "updated_at": created,
            "issued_at": None,
            "closed_at": None,
        }
        events: list[tuple[str, str | None, str, datetime, tuple[int, str] | None]] = [
            ("create", None, "reported", created, investigator)
        ]

        def happen(event: str, to: str, instant: datetime, actor: tuple[int, str] | None) -> None:
            if instant > self.now:
                raise _Stop
            events.append((event, case["status"], to, instant, actor))
            case["status"] = to
            case["updated_at"] = instant
            case["version"] += 1

        holder: dict[str, Any] = {}
        try:
            self._lifecycle(case, agency, investigator, happen, out, holder)
        except _Stop:
            pass
        rec = holder.get("rec")
        if rec is not None:
            out["recommendations"].append(rec)
        out["cases"].append(case)
        if self.history:
            self._history(case_id, events, out["history"])
        return case["status"]

    def _lifecycle(
        self,
        case: dict[str, Any],
        agency: AgencyRow,
        investigator: tuple[int, str],
        happen: Any,
        out: dict[str, list],
        holder: dict[str, Any],
    ) -> None:
        rng = self.rng
        tz = agency.timezone
        t = self.working_hours_after(case["created_at"], tz, rng.uniform(0.2, 10))
        happen("start_review", "under_review", t, investigator)
        roll = rng.random()
        if roll < 0.17:
            t = self.working_hours_after(t, tz, rng.uniform(5, 45))
            commissioner = self.staff_member("commissioner")
            case["dismiss_reason"] = "Tidak terbukti setelah klarifikasi."
            case["closed_at"] = t
            try:
                happen("dismiss", "dismissed", t, commissioner)
            except _Stop:
                case["dismiss_reason"] = case["closed_at"] = None
                raise
            return
        if roll < 0.19:
            self._close(case, happen, self.working_hours_after(t, tz, rng.uniform(5, 60)), None)
            return
        t = self.working_hours_after(t, tz, rng.uniform(10, 60))
        drafter = investigator if rng.random() < 0.8 else self.staff_member("investigator")
        happen("draft_recommendation", "recommendation_drafted", t, drafter)
        sanction = self.pick(self.sanctions)
        rec: dict[str, Any] = {
            "id": next(self.ids["rec"]),
            **recommendation_row(
                case_id=case["id"],
                agency_id=case["agency_id"],
                sanction=sanction,
                legal_basis=LEGAL_BASIS,
                text=f"Merekomendasikan penjatuhan {sanction.replace('_', ' ')} kepada terlapor.",
                drafted_by_id=drafter[0],
                drafted_at=t,
            ),
        }
        holder["rec"] = rec
        t = self.working_hours_after(t, tz, rng.uniform(2, 20))
        issuer = self.staff_member("commissioner")
        happen("issue_recommendation", "awaiting_follow_up", t, issuer)
        self.letters[t.year] += 1
        rec.update(
            letter_number=f"R-{self.letters[t.year]}/KASN/{t.month}/{t.year}",
            authority_name="KASN",
            issued_by_id=issuer[0],
            issued_at=t,
            is_open=True,
            deadline_rule_code="ppk_follow_up",
        )
        case["issued_at"] = t
        received = self.local_day(t, tz)
        self._start_clock(rec, received, tz)
        ppk = self.ppk_users[agency.id]
        if rng.random() < 0.6:
            ack = t + timedelta(hours=rng.uniform(1, 72))
            if ack <= self.now:
                rec["acknowledged_at"] = ack
        behaviour = self.pick(self.behaviours)
        try:
            if behaviour == "clarify":
                request_day = self.calendar.add_working_days(received, rng.randint(2, 8))
                request = self.at(request_day, tz, 9 + rng.random() * 6)
                if request > self.now:
                    raise _Stop
                self._steps(rec, agency, stop=min(request, self.levels_as_of), resolved=request, out=out)
                happen("request_clarification", "clarification_requested", request, ppk)
                rec.update(is_open=False, paused_at=request)
                clarification = {
                    "id": next(self.ids["clarification"]),
                    "case_id": case["id"],
                    "letter_number": f"800/{case['id']}/BKPSDM/{request.year}",
                    "reason": "Fakta yang dilaporkan berbeda dengan hasil pemeriksaan internal.",
                    "document_id": None,
                    "requested_by_id": ppk[0],
                    "requested_at": request,
                    "outcome": None,
                    "reply_letter_number": None,
                    "revised_sanction": None,
                    "answered_by_id": None,
                    "answered_at": None,
                }
                out["clarifications"].append(clarification)
                answer = self.working_hours_after(request, tz, rng.uniform(10, 40))
                answerer = self.staff_member("commissioner")
                happen("answer_clarification", "awaiting_follow_up", answer, answerer)
                clarification.update(
                    outcome="upheld",
                    reply_letter_number=f"B-{case['id']}/KASN/{answer.year}",
                    answered_by_id=answerer[0],
                    answered_at=answer,
                )
                rec.update(cycle=1, escalation_level=None, is_open=True, paused_at=None)
                received = self.local_day(answer, tz)
                self._start_clock(rec, received, tz)
                behaviour = "prompt"
            if behaviour == "never":
                closing = rec["issued_at"] + timedelta(days=rng.uniform(250, 500))
                if rng.random() < 0.4 and closing <= self.now:
                    self._steps(rec, agency, stop=min(closing, self.levels_as_of), resolved=closing, out=out)
                    rec["is_open"] = False
                    self._close(case, happen, closing, None)
                    return
                raise _Stop
            taken = rng.randint(2, 14) if behaviour == "prompt" else rng.randint(15, 45)
            day = self.calendar.add_working_days(received, taken)
            reported = self.at(day, tz, 8 + rng.random() * 8)
            if reported > self.now:
                raise _Stop
            self._steps(rec, agency, stop=min(reported, self.levels_as_of), resolved=reported, out=out)
            happen("report_follow_up", "follow_up_reported", reported, ppk)
        except _Stop:
            if rec["is_open"]:
                self._steps(rec, agency, stop=self.levels_as_of, resolved=None, out=out)
            raise
        rec.update(is_open=False, followed_up_at=reported)
        imposed = sanction
        roll = rng.random()
        index = SANCTIONS.index(sanction)
        if roll < 0.15 and index > 0:
            imposed = SANCTIONS[rng.randrange(0, index)]
        elif roll < 0.2 and index < len(SANCTIONS) - 1:
            imposed = SANCTIONS[index + 1]
        follow_up = {
            "id": next(self.ids["follow_up"]),
            "case_id": case["id"],
            "decision_number": f"800/{case['id']}/SK/{reported.year}",
            "decision_date": day - timedelta(days=rng.randint(0, 5)),
            "sanction_imposed": imposed,
            "sanction_form": None,
            "note": None,
            "is_lighter": SANCTIONS.index(imposed) < index,
            "is_late": reported > rec["due_at"],
            "working_days_taken": self.calendar.working_days_between(received, day),
            "document_id": None,
            "reported_by_id": ppk[0],
            "reported_at": reported,
            "verdict": None,
            "verdict_reason": None,
            "verdict_by_id": None,
            "verdict_at": None,
        }
        out["follow_ups"].append(follow_up)
        verdict_at = self.working_hours_after(reported, tz, rng.uniform(3, 30))
        checker = self.staff_member("investigator")
        case["closed_at"] = verdict_at
        try:
            happen("accept_follow_up", "completed", verdict_at, checker)
        except _Stop:
            case["closed_at"] = None
            raise
        follow_up.update(verdict="accepted", verdict_by_id=checker[0], verdict_at=verdict_at)

    def _close(self, case: dict[str, Any], happen: Any, instant: datetime, actor: Any) -> None:
        case["close_reason"] = "Terlapor telah pensiun / meninggal dunia."
        case["closed_at"] = instant
        try:
            happen("close", "closed", instant, actor or self.staff_member("commissioner"))
        except _Stop:
            case["close_reason"] = case["closed_at"] = None
            raise

    def _start_clock(self, rec: dict[str, Any], received: date, tz: str) -> None:
        due_day = self.calendar.add_working_days(received, 14)
        rec.update(
            received_on=received,
            working_days=14,
            due_at=self.end_of(due_day, tz),
            due_calendar_version="holidays-bench",
        )

    def _steps(
        self, rec: dict[str, Any], agency: AgencyRow, *, stop: datetime, resolved: datetime | None, out: dict
    ) -> None:
        """The ladder levels a continuously running sweep would have recorded before `stop`."""
        tz = agency.timezone
        due_day = self.local_day(rec["due_at"], tz)
        today = self.local_day(stop, tz)
        level = None
        for rung in self.ladder:
            day = self.calendar.add_working_days(due_day, rung.days_from_due)
            if day >= today:
                break
            reached = self.end_of(day, tz)
            level = rung.level
            out["steps"].append(
                {
                    "id": next(self.ids["step"]),
                    "recommendation_id": rec["id"],
                    "case_id": rec["case_id"],
                    "cycle": rec["cycle"],
                    "level": rung.level,
                    "reached_at": reached,
                    "recorded_at": reached + timedelta(seconds=self.rng.randint(1, 300)),
                    "due_at": rec["due_at"],
                    "body": agency.body if "ministry" in rung.recipients_rules else None,
                    "notified": True,
                    "resolved_at": resolved,
                }
            )
        rec["escalation_level"] = level

    def _history(self, case_id: int, events: list, rows: list) -> None:
        from app.audit.history import GENESIS, SYSTEM_ACTOR, chained_row

        prev = GENESIS
        for seq, (event, from_status, to_status, at, actor) in enumerate(events, start=1):
            actor_id, label = actor if actor else (None, SYSTEM_ACTOR)
            row = chained_row(
                case_id=case_id,
                seq=seq,
                prev_hash=prev,
                event=event,
                from_status=from_status,
                to_status=to_status,
                actor_id=actor_id,
                actor_label=label,
                payload={},
                created_at=at,
            )
            prev = row["hash"]
            row["id"] = next(self.ids["history"])
            rows.append(row)


def _subcategories() -> Iterator[tuple[str, str]]:
    from app.core.vocab import NEUTRALITY_SUBCATEGORIES

    yield from NEUTRALITY_SUBCATEGORIES.items()


# -- writing ---------------------------------------------------------------------------------------------------

TABLES = {
    "cases": "cases",
    "recommendations": "recommendations",
    "clarifications": "clarifications",
    "follow_ups": "follow_ups",
    "steps": "escalation_steps",
    "history": "case_history",
}


def _sqlite_converters(table: Any) -> list[tuple[str, Any]]:
    """Per column, how SQLAlchemy would store a value on SQLite (instants as naive UTC text, JSON as text)."""
    from sqlalchemy import JSON, Date

    from app.db import UTCDateTime

    def instant(value: datetime | None) -> str | None:
        # Every instant the generator makes is aware UTC already.
        return None if value is None else value.replace(tzinfo=None).isoformat(" ", "microseconds")

    def day(value: date | None) -> str | None:
        return None if value is None else value.isoformat()

    def as_json(value: Any) -> str | None:
        return None if value is None else json.dumps(value)

    converters = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            converters.append((column.name, instant))
        elif isinstance(kind, JSON):
            converters.append((column.name, as_json))
        elif isinstance(kind, Date):
            converters.append((column.name, day))
        else:
            converters.append((column.name, None))
    return converters


def _write(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert with explicit ids: COPY on PostgreSQL, the driver's executemany on SQLite."""
    if not rows:
        return
    columns = list(rows[0])
    raw = conn.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if isinstance(row[c], dict) else row[c] for c in columns])
        return
    convert = dict(_sqlite_converters(table))
    plan = [(c, convert[c]) for c in columns]
    marks = ", ".join("?" for _ in columns)
    raw.executemany(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',  # noqa: S608 - our own table and columns
        [tuple(f(row[c]) if f else row[c] for c, f in plan) for row in rows],
    )


def _fix_sequences(conn: Any, tables: Iterable[str]) -> None:
    from sqlalchemy import text

    if conn.dialect.name != "postgresql":
        return
    for name in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - our table names
                f'COALESCE((SELECT max(id) FROM "{name}"), 0) + 1, false)'
            )
        )


def seed_reference(app: Any, agencies: int, seed: int) -> tuple[list[AgencyRow], dict, dict]:
    """Reference agencies (plus generated ones up to `agencies`), staff and one PPK user per agency."""
    from sqlalchemy import insert, select, update

    from app.agencies.reference import load_reference
    from app.agencies.services import routed_body
    from app.auth.services import hash_password
    from app.db import db
    from app.models.agencies import Agency
    from app.models.auth import User

    rng = random.Random(seed)
    with app.app_context():
        load_reference()
        db.session.commit()
        existing = db.session.scalar(select(db.func.count()).select_from(Agency))
        kinds = ["lembaga", "kabupaten", "kota"]
        for n in range(existing, agencies):
            db.session.add(
                Agency(
                    code=f"GEN-{n:04d}",
                    name=f"Instansi Uji {n}",
                    kind=rng.choice(kinds),
                    timezone=rng.choice(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
                    ppk_title="Kepala Instansi",
                    source="bench",
                )
            )
        db.session.flush()
        rows = list(db.session.scalars(select(Agency).order_by(Agency.id)))[:agencies]
        for agency in rows:
            if not agency.ppk_email:
                agency.ppk_email = f"ppk.{agency.code.lower()}@instansi.bench.id"
        db.session.flush()
        keep = {a.id for a in rows}
        db.session.execute(update(Agency).where(Agency.id.not_in(keep)).values(is_active=False))
        password = hash_password(BENCH_PASSWORD)
        staff_spec = {"investigator": 40, "commissioner": 8, "admin": 2}
        users = []
        for role, count in staff_spec.items():
            users += [
                {"email": f"{role}{i}@kasn.bench.id", "name": f"{role.title()} {i}", "role": role}
                for i in range(1, count + 1)
            ]
        users += [
            {"email": f"overseer{i}@{body}.bench.id", "name": f"Pengawas {i}", "role": "overseer", "body": body}
            for body in ("menpanrb", "kemendagri")
            for i in (1, 2)
        ]
        users += [
            {"email": f"ppk.{a.code.lower()}@users.bench.id", "name": f"PPK {a.name}", "role": "ppk", "agency_id": a.id}
            for a in rows
        ]
        db.session.execute(
            insert(User),
            [{"password_hash": password, "body": None, "agency_id": None, **u} for u in users],
        )
        db.session.commit()
        staff: dict[str, list[tuple[int, str]]] = {}
        ppk: dict[int, tuple[int, str]] = {}
        for user in db.session.scalars(select(User)):
            if user.role == "ppk":
                ppk[user.agency_id] = (user.id, user.email)
            else:
                staff.setdefault(user.role, []).append((user.id, user.email))
        agencies_out = [AgencyRow(a.id, a.code, a.kind, a.timezone, routed_body(a)) for a in rows]
        db.session.remove()
    return agencies_out, staff, ppk


def generate(
    app: Any,
    *,
    cases: int,
    agencies: int = 650,
    years: int = 10,
    seed: int = 2026,
    now: datetime | None = None,
    history: bool = False,
    levels_as_of: datetime | None = None,
    progress: bool = True,
) -> Stats:
    """Fill an empty, migrated database (see `reset_database`)."""
    from sqlalchemy import text

    from app.db import db
    from app.models.cases import CaseCounter

    started = time.perf_counter()
    now = now or datetime.now(UTC)
    agency_rows, staff, ppk = seed_reference(app, agencies, seed)
    stats = Stats()
    with app.app_context():
        gen = Generator(
            agencies=agency_rows,
            staff=staff,
            ppk_users=ppk,
            now=now,
            years=years,
            seed=seed,
            history=history,
            levels_as_of=levels_as_of or now,
        )
        tables = {key: db.metadata.tables[name] for key, name in TABLES.items()}
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":  # a throwaway database: no fsync while loading
                conn.connection.driver_connection.execute("PRAGMA synchronous=OFF")
            for start in range(0, cases, CHUNK):
                out: dict[str, list] = {key: [] for key in TABLES}
                for case_id in range(start + 1, min(start + CHUNK, cases) + 1):
                    stats.statuses[gen.case(case_id, out)] += 1
                with conn.begin():
                    for key in TABLES:
                        _write(conn, tables[key], out[key])
                stats.cases += len(out["cases"])
                stats.recommendations += len(out["recommendations"])
                stats.follow_ups += len(out["follow_ups"])
                stats.clarifications += len(out["clarifications"])
                stats.steps += len(out["steps"])
                stats.history += len(out["history"])
                if progress:
                    rate = stats.cases / (time.perf_counter() - started)
                    print(f"  {stats.cases:,} cases ({rate:,.0f}/s)", file=sys.stderr, flush=True)
            with conn.begin():
                counters = [{"year": year, "last_value": value} for year, value in sorted(gen.numbers.items())]
                conn.execute(CaseCounter.__table__.insert(), counters)
                _fix_sequences(conn, ["agencies", "users", *TABLES.values()])
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
        db.engine.dispose()
    stats.seconds = time.perf_counter() - started
    return stats


# -- a ready dataset for other benchmarks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    url: str
    cases: int
    agencies: int
    seed: int
    generated_at: str
    reused: bool
    stats: dict[str, Any]

    @property
    def dialect(self) -> str:
        return "postgresql" if self.url.startswith("postgres") else "sqlite"


def dataset(
    cases: int | None = None,
    *,
    agencies: int = 650,
    years: int = 10,
    seed: int = 2026,
    url: str | None = None,
    fresh: bool = False,
    history: bool = False,
    levels_as_of: datetime | None = None,
    progress: bool = True,
) -> Dataset:
    """A database holding the benchmark data set: BENCH_DATABASE_URL (always regenerated) or a cached SQLite
    file under instance/bench/ (regenerated when its parameters or the migrations changed, or `fresh`)."""
    cases = scaled_cases(cases)
    url = url or os.environ.get("BENCH_DATABASE_URL")
    params = {
        "cases": cases,
        "agencies": agencies,
        "years": years,
        "seed": seed,
        "history": history,
        "levels_as_of": levels_as_of.isoformat() if levels_as_of else None,
        "schema": schema_fingerprint(),
    }
    meta_path = None
    if not url:
        DEFAULT_DIR.mkdir(parents=True, exist_ok=True)
        path = DEFAULT_DIR / f"dataset-{cases}-{seed}{'-history' if history else ''}.db"
        meta_path = path.with_suffix(".json")
        url = f"sqlite:///{path}"
        if not fresh and path.exists() and meta_path.exists():
            meta = json.loads(meta_path.read_text())
            if {k: meta.get(k) for k in params} == params:
                return Dataset(url, cases, agencies, seed, meta["generated_at"], True, meta.get("stats", {}))
        meta_path.unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = make_app(url)
    reset_database(app)
    now = datetime.now(UTC)
    stats = generate(
        app,
        cases=cases,
        agencies=agencies,
        years=years,
        seed=seed,
        now=now,
        history=history,
        levels_as_of=levels_as_of,
        progress=progress,
    ).as_dict()
    if meta_path is not None:
        meta_path.write_text(json.dumps({**params, "generated_at": now.isoformat(), "stats": stats}, indent=1))
    return Dataset(url, cases, agencies, seed, now.isoformat(), False, stats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="default: 1,000,000 (BENCH_SCALE=small: 20,000)")
    parser.add_argument("--agencies", type=int, default=650)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=None, help="default: BENCH_DATABASE_URL, else a SQLite file")
    parser.add_argument("--history", action="store_true", help="also write the hash-chained history rows")
    parser.add_argument("--levels-as-of", default=None, help="ISO instant the escalation levels are current at")
    args = parser.parse_args(argv)
    as_of = datetime.fromisoformat(args.levels_as_of) if args.levels_as_of else None
    if as_of is not None and as_of.tzinfo is None:
        raise SystemExit("--levels-as-of needs a time zone (e.g. 2026-11-20T08:00:00+07:00)")
    data = dataset(
        args.cases,
        agencies=args.agencies,
        years=args.years,
        seed=args.seed,
        url=args.database_url,
        fresh=True,
        history=args.history,
        levels_as_of=as_of,
    )
    stats = data.stats
    total = stats["cases"]
    mix = ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(stats["statuses"].items(), key=lambda kv: -kv[1]))
    print(
        f"datagen: {total:,} cases, {args.agencies} agencies, {stats['recommendations']:,} recommendations, "
        f"{stats['follow_ups']:,} follow-ups, {stats['escalation_steps']:,} escalation steps, "
        f"{stats['history']:,} history rows on {data.dialect} in {stats['seconds']:.0f} s "
        f"({total / max(stats['seconds'], 1e-9):,.0f} cases/s); mix: {mix}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
