"""A year's published figures: the raw figures (app.public.figures) after suppression (app.public.suppression),
with the frozen IM-NKK penegakan score, a ranking and the national trend by month, as the exact JSON and CSV bytes
served by `/api/v1/public/` and read by `/publik`.

`refresh_year` recomputes the figures and stores a new release only when the published content changed (its
version goes up by one); otherwise the latest release is only marked as checked. Every file carries its year,
version, release moment and licence, so a citation names one set of figures.

Why it is long: a release is one chain — the cells and the relations between them that a reader can solve, the
guard that suppresses a new version together with the one before it, the assembly, the exact bytes, and the
publish switch — for a year and for an election alike. Each step reads the previous one's cell keys and
intervals; apart, they would pass those shapes across modules that no one else reads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.core.clock import utcnow
from app.db import db
from app.index.access import current_year
from app.index.queries import first_issue_year
from app.index.snapshots import latest_snapshot, snapshot_result
from app.models.intake import CaseElection, Election
from app.models.public import PublicPublication, PublicRelease
from app.public import definitions
from app.public import figures as raw
from app.public.suppression import Cell, Protection, Relation, protect

UnitKey = tuple[str, int, int]  # (unit kind, unit id, period)
CellKey = tuple[str, int, int, str]

# The serving cache of the app (app/public/serving.py), emptied by a refresh in this process.
CACHE_KEY = "tindak_public_cache"

SMALL = "small"
COMPLEMENTARY = "complementary"
# The never-published part of a month's national figures (the agencies outside every province).
REST = "rest"
# Counts that only grow between two versions of the same year or election (what a reader comparing versions may
# assume); the open ones and the cases before a recommendation go down as well.
GROWING = frozenset(
    ("cases_received", "recommendations_issued", "followed_up", "on_time", "late", "conforming",
     "lighter_sanction", "escalated", "cases_received_all")
)  # fmt: skip


def threshold() -> int:
    return max(1, int(current_app.config.get("PUBLIC_THRESHOLD", 5)))


def _values(units: dict[UnitKey, raw.Tally]) -> dict[CellKey, int]:
    """Every published cell's true value: the counts per unit (other_outcome derived), the national-only ones."""
    values: dict[CellKey, int] = {}
    for (kind, unit_id, period), tally in units.items():
        counts = tally.counts
        keys = definitions.COUNTS if period == 0 else definitions.TREND
        if period and kind not in ("national", "province"):
            continue
        for key in keys:
            if key == "other_outcome":
                value = counts["recommendations_issued"] - counts["followed_up"] - counts["open"]
            else:
                value = counts[key]
            values[(kind, unit_id, period, key)] = int(value)
        if kind == "national" and period == 0:
            before = int(counts["cases_before_recommendation"])
            values[(kind, unit_id, 0, "cases_before_recommendation")] = before
            values[(kind, unit_id, 0, "cases_received_all")] = before + int(counts["cases_received"])
    return values


def relations(listed: list[dict[str, Any]], values: dict[CellKey, int]) -> list[Relation]:
    """Every "total = sum of parts" a reader can use: within a unit, province = government + kabupaten/kota, the
    country = its top-level units, a year = its months, all cases = received + before a recommendation."""
    found: list[Relation] = []
    units = {(kind, unit_id, period) for kind, unit_id, period, _ in values}
    for kind, unit_id, period in units:

        def cell(key: str, k: str = kind, u: int = unit_id, p: int = period) -> CellKey:
            return (k, u, p, key)

        found.append(Relation(cell("followed_up"), (cell("on_time"), cell("late"))))
        if period == 0:
            found.append(Relation(cell("followed_up"), (cell("conforming"), cell("lighter_sanction"))))
            found.append(
                Relation(
                    cell("open"),
                    tuple(cell(k) for k in ("open_within_deadline", "open_level_1", "open_level_2", "open_level_3")),
                )
            )
            found.append(
                Relation(cell("recommendations_issued"), (cell("followed_up"), cell("open"), cell("other_outcome")))
            )
    children: dict[int, list[int]] = {}
    top: list[CellKey] = []
    for agency in listed:
        province = agency["province_id"]
        if province is not None and ("province", province, 0) in units:
            children.setdefault(province, []).append(agency["id"])
    provinces = sorted(children)
    tops = [("province", p) for p in provinces] + [
        ("agency", a["id"]) for a in listed if a["province_id"] is None or a["province_id"] not in children
    ]
    for key in definitions.COUNTS:
        for province in provinces:
            found.append(
                Relation(("province", province, 0, key), tuple(("agency", a, 0, key) for a in children[province]))
            )
        top = [(kind, unit_id, 0, key) for kind, unit_id in tops]
        found.append(Relation(("national", raw.NATIONAL_ID, 0, key), tuple(top)))
    if ("national", raw.NATIONAL_ID, 1) in units:
        for key in definitions.TREND:
            for kind, unit_id in [("national", raw.NATIONAL_ID)] + [("province", p) for p in provinces]:
                months = tuple((kind, unit_id, m, key) for m in range(1, 13))
                found.append(Relation((kind, unit_id, 0, key), months))
            for m in range(1, 13):
                # a month of the country = its provinces' + the rest (agencies outside them: never published)
                parts = tuple(("province", p, m, key) for p in provinces) + ((REST, raw.NATIONAL_ID, m, key),)
                found.append(Relation(("national", raw.NATIONAL_ID, m, key), parts))
    national = ("national", raw.NATIONAL_ID, 0)
    found.append(
        Relation(
            (*national, "cases_received_all"),
            ((*national, "cases_received"), (*national, "cases_before_recommendation")),
        )
    )
    return found


def _cell(value: int, status: str | None, limit: int) -> Any:
    if status == SMALL:
        return f"< {limit}"
    if status == COMPLEMENTARY:
        return "x"
    return value


def _penegakan(year: int, limit: int) -> tuple[dict[int, Any], dict[str, Any] | None]:
    """{agency id: penegakan score} of the year's freeze in force (only agencies with at least `limit`
    recommendations in it), and what the freeze is; nothing before the year is frozen."""
    snapshot = latest_snapshot(year)
    if snapshot is None:
        return {}, None
    result = snapshot_result(snapshot)
    scores: dict[int, Any] = {}
    for item in result["items"]:
        received = int((item.get("enforcement") or {}).get("received") or 0)
        score = (item.get("criteria") or {}).get("penegakan")
        if received >= limit and score is not None:
            scores[int(item["agency_id"])] = round(float(score), 2)
    about = {
        "snapshot_id": snapshot.id,
        "frozen_at": snapshot.frozen_at.isoformat(),
        "method_version": snapshot.method_version,
        "url": f"/api/v1/public/index-snapshots/{snapshot.id}",
    }
    return scores, about


def _interval(shown: Any, limit: int) -> tuple[float, float]:
    """What a reader knows of a published cell: its value, "< n" (0…n−1) or "x" (at least the threshold)."""
    if isinstance(shown, int):
        return float(shown), float(shown)
    if shown == "x":
        return float(limit), math.inf
    return 0.0, float(int(shown.split()[-1]) - 1)


def shown_cells(data: dict[str, Any], listed: list[dict[str, Any]]) -> dict[CellKey, Any]:
    """{cell: what it shows} of a release's JSON, for the units still listed (codes are stable)."""
    by_code = {a["code"]: a["id"] for a in listed}
    cells: dict[CellKey, Any] = {}

    def take(kind: str, unit_id: int, period: int, values: dict[str, Any]) -> None:
        for key, shown in values.items():
            cells[(kind, unit_id, period, key)] = shown

    take("national", raw.NATIONAL_ID, 0, data["national"]["values"])
    for month in data.get("trend", []):
        take("national", raw.NATIONAL_ID, month["month"], month["values"])
    for group, kind in (("provinces", "province"), ("agencies", "agency")):
        for item in data[group]:
            if item["code"] in by_code:
                take(kind, by_code[item["code"]], 0, item["values"])
                for month in item.get("trend", []):
                    take(kind, by_code[item["code"]], month["month"], month["values"])
    return cells


def guarded(
    listed: list[dict[str, Any]],
    values: dict[CellKey, int],
    found: list[Relation],
    limit: int,
    previous: dict[str, Any] | None = None,
    previous_hidden: dict[CellKey, int] | None = None,
) -> Protection:
    """The suppression of a version, protected together with the version before it (`previous`, its JSON; and
    `previous_hidden`, the true values of the cells it hid).

    A reader who has both versions knows each one's relations and that the growing counts (GROWING) did not go
    down: a cell now = the cell then + a change of at least 0, and the changes add up like the cells. The attack
    runs on both versions at once (the earlier one's visible cells fixed, its "< n" cells watched) and secondary
    suppression goes on in the new version until no small count of either version is determined. For stable
    versions, a cell hidden before stays hidden unless its value and its change are both at least the threshold.
    """
    known: dict[Cell, tuple[float, float]] = {c: (0.0, math.inf) for r in found for c in r.cells if c[0] == REST}
    if previous is None:
        return protect(values, found, limit, known=known)
    hidden_before = previous_hidden or {}
    before = shown_cells(previous, listed)
    old_limit = int(previous.get("threshold", limit))
    joint: dict[Cell, int] = dict(values)
    relations_all, frozen, watched = _earlier_version(listed, before, old_limit, joint, known)
    relations_all.extend(found)
    linked: set[Cell] = set()
    for cell in {c for r in found for c in r.cells} | set(values):
        if cell[3] not in GROWING or not (cell in before or cell[0] == REST):
            continue
        if cell in values and values[cell] < _interval(before[cell], old_limit)[0]:
            continue  # the count went down after all (a correction): no reader can rely on its growth
        relations_all.append(Relation(cell, (_old(cell), _change(cell))))
        known[_change(cell)] = (0.0, math.inf)
        if cell[0] == REST:  # never published in either version
            known.setdefault(_old(cell), (0.0, math.inf))
        linked.add(cell)
    for relation in found:
        if all(c in linked for c in relation.cells):
            relations_all.append(Relation(_change(relation.total), tuple(_change(p) for p in relation.parts)))
    sticky = {
        cell
        for cell, shown in before.items()
        if not isinstance(shown, int)
        and cell in values
        and not (values[cell] >= limit and abs(values[cell] - hidden_before.get(cell, values[cell])) >= limit)
    }
    return protect(joint, relations_all, limit, known=known, frozen=frozen, watched=watched, sticky=sticky)


def _old(cell: Cell) -> Cell:
    return ("before", cell)


def _change(cell: Cell) -> Cell:
    return ("change", cell)


def _earlier_version(
    listed: list[dict[str, Any]],
    before: dict[CellKey, Any],
    old_limit: int,
    joint: dict[Cell, int],
    known: dict[Cell, tuple[float, float]],
) -> tuple[list[Relation], set[Cell], set[Cell]]:
    """The earlier version's cells in the joint attack (its visible ones into `joint`, its hidden ones into
    `known`): its relations, its visible (frozen) cells and its small (watched) ones."""
    found: list[Relation] = []
    frozen: set[Cell] = set()
    watched: set[Cell] = set()
    for cell, shown in before.items():
        if isinstance(shown, int):
            joint[_old(cell)] = shown
            frozen.add(_old(cell))
        else:
            known[_old(cell)] = _interval(shown, old_limit)
            if shown != "x":
                watched.add(_old(cell))
    for relation in relations(listed, before):
        cells = relation.cells
        if all(c in before or c[0] == REST for c in cells):
            found.append(Relation(_old(relation.total), tuple(_old(p) for p in relation.parts)))
            known.update({_old(c): (0.0, math.inf) for c in cells if c[0] == REST})
    return found, frozen, watched


def build(year: int, as_of: datetime, election: Election | None = None) -> tuple[dict[str, Any], list[Any]]:
    """The published content of a year or an election (without version and release moment), computed now and
    stored as raw figures, protected together with its latest release; and the hidden cells' true values."""
    election_id = election.id if election else 0
    listed, units = raw.compute(election.starts_on.year if election else year, as_of, election_id)
    raw.store(year, units, as_of, election_id)
    latest = latest_release(year, election_id)
    previous = json.loads(latest.body_json) if latest else None
    hidden_before = {tuple(row[:4]): int(row[4]) for row in json.loads(latest.hidden_json or "[]")} if latest else {}
    return assemble_hiding(year, listed, units, election=election, previous=previous, previous_hidden=hidden_before)


def assemble(
    year: int, listed: list[dict[str, Any]], units: dict[UnitKey, raw.Tally], **options: Any
) -> dict[str, Any]:
    """The published content (`assemble_hiding` without the hidden cells)."""
    return assemble_hiding(year, listed, units, **options)[0]


def assemble_hiding(
    year: int,
    listed: list[dict[str, Any]],
    units: dict[UnitKey, raw.Tally],
    *,
    election: Election | None = None,
    previous: dict[str, Any] | None = None,
    previous_hidden: dict[Any, int] | None = None,
) -> tuple[dict[str, Any], list[Any]]:
    """The published content (protected together with `previous`, the version before it, and the true values of
    the cells it hid, when given), and the true values of the cells it hides."""
    limit = threshold()
    values = _values(units)
    protection = guarded(listed, values, relations(listed, values), limit, previous, previous_hidden)

    def status(cell: CellKey) -> str | None:
        if cell in protection.primary:
            return SMALL
        if cell in protection.secondary:
            return COMPLEMENTARY
        return None

    def shown(kind: str, unit_id: int, period: int, keys: tuple[str, ...]) -> dict[str, Any]:
        return {
            key: _cell(values[(kind, unit_id, period, key)], status((kind, unit_id, period, key)), limit)
            for key in keys
            if (kind, unit_id, period, key) in values
        }

    def median_of(kind: str, unit_id: int) -> float | None:
        if status((kind, unit_id, 0, "followed_up")) is not None:
            return None
        return raw.median(units[(kind, unit_id, 0)].working_days)

    scores, index_about = _penegakan(year, limit) if election is None else ({}, None)
    by_id = {a["id"]: a for a in listed}
    by_code = {a["code"]: a["id"] for a in listed}
    agencies_out = []
    for agency in sorted(listed, key=lambda a: (a["name"], a["id"])):
        province = by_id.get(agency["province_id"]) if agency["province_id"] else None
        agencies_out.append(
            {
                "code": agency["code"],
                "name": agency["name"],
                "kind": agency["kind"],
                "province_code": province["code"] if province else None,
                "values": shown("agency", agency["id"], 0, definitions.COUNTS),
                "median_working_days": median_of("agency", agency["id"]),
                "on_time_share": _share(values, status, ("agency", agency["id"], 0)),
                "penegakan": scores.get(agency["id"]),
            }
        )
    provinces_out = [
        {
            "code": by_id[unit_id]["code"],
            "name": by_id[unit_id]["name"],
            "values": shown("province", unit_id, 0, definitions.COUNTS),
            "median_working_days": median_of("province", unit_id),
            "on_time_share": _share(values, status, ("province", unit_id, 0)),
        }
        for (kind, unit_id, period) in sorted(units, key=lambda k: by_id.get(k[1], {}).get("name", ""))
        if kind == "province" and period == 0 and unit_id in by_id
    ]
    national_id = raw.NATIONAL_ID
    national = {
        "values": shown("national", national_id, 0, definitions.COUNTS + definitions.NATIONAL_ONLY),
        "median_working_days": median_of("national", national_id),
        "on_time_share": _share(values, status, ("national", national_id, 0)),
    }
    months = range(1, 13) if ("national", national_id, 1) in units else range(0)
    trend = [{"month": m, "values": shown("national", national_id, m, definitions.TREND)} for m in months]
    for item in provinces_out:
        unit_id = by_code[item["code"]]
        item["trend"] = [{"month": m, "values": shown("province", unit_id, m, definitions.TREND)} for m in months]
    content: dict[str, Any] = {
        "dataset": "tindak-angka-publik",
        "schema_version": definitions.SCHEMA_VERSION,
        "year": year,
        "threshold": limit,
        "licence": definitions.LICENCE,
        "national": national,
        "provinces": provinces_out,
        "agencies": agencies_out,
        "ranking": _ranking(agencies_out),
        "trend": trend,
        "index": index_about,
    }
    if election is not None:
        content.update(dataset="tindak-angka-publik-pemilu", year=None, index=None, election=election_about(election))
    hidden = sorted([*cell, values[cell]] for cell in protection.primary | protection.secondary if cell in values)
    return content, hidden


def election_about(election: Election) -> dict[str, Any]:
    """What the public figures say of an election: its name, kind, region and period (nothing personal)."""
    return {
        "id": election.id,
        "name": election.name,
        "kind": election.kind,
        "region": election.region,
        "starts_on": election.starts_on.isoformat(),
        "ends_on": election.ends_on.isoformat(),
    }


def _share(values: dict[CellKey, int], status: Any, unit: UnitKey) -> float | None:
    """On time ÷ issued × 100, only where both counts are published."""
    issued, on_time = (*unit, "recommendations_issued"), (*unit, "on_time")
    if status(issued) is not None or status(on_time) is not None or not values.get(issued):
        return None
    return round(100 * values[on_time] / values[issued], 1)


def _ranking(agencies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Agencies with a published on-time share, best first (ties share a rank); then by penegakan."""
    ranked = sorted(
        (a for a in agencies if a["on_time_share"] is not None),
        key=lambda a: (-a["on_time_share"], -(a["penegakan"] or 0), a["name"]),
    )
    out, previous, rank = [], None, 0
    for position, agency in enumerate(ranked, start=1):
        if agency["on_time_share"] != previous:
            rank, previous = position, agency["on_time_share"]
        out.append(
            {"rank": rank, "code": agency["code"], "name": agency["name"], "on_time_share": agency["on_time_share"],
             "penegakan": agency["penegakan"]}
        )  # fmt: skip
    return out


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def serialize(content: dict[str, Any], version: int, released_at: datetime) -> tuple[str, str]:
    """The JSON and CSV bytes of one release."""
    election = content.get("election")
    base = f"/api/v1/public/elections/{election['id']}" if election else f"/api/v1/public/years/{content['year']}"
    stamped = {
        **content,
        "version": version,
        "released_at": released_at.isoformat(),
        "dictionary_url": "/api/v1/public/dictionary",
        "csv_url": f"{base}/versions/{version}/figures.csv",
        "json_url": f"{base}/versions/{version}/figures.json",
    }
    body_json = json.dumps(stamped, ensure_ascii=False, separators=(",", ":"))
    return body_json, csv_text(stamped)


CSV_FIELDS = (
    "year",
    "version",
    "unit_kind",
    "unit_code",
    "unit_name",
    "province_code",
    "period",
    "measure",
    "value",
    "note",
)


# An election's CSV names the election where a year's names the year.
ELECTION_CSV_FIELDS = ("election_id", *CSV_FIELDS[1:])


def _csv_rows(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    election = data.get("election")
    base = {"election_id": election["id"]} if election else {"year": data["year"]}
    base["version"] = data["version"]

    def row(kind: str, code: str, name: str, province: str | None, period: int) -> dict[str, Any]:
        return {**base, "unit_kind": kind, "unit_code": code, "unit_name": name, "province_code": province or "",
                "period": period}  # fmt: skip

    def rows(
        kind: str, code: str, name: str, province: str | None, period: int, unit: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        for key, cell in unit.get("values", {}).items():
            numeric = isinstance(cell, int)
            yield {**row(kind, code, name, province, period), "measure": key, "value": cell if numeric else "",
                   "note": "" if numeric else cell}  # fmt: skip
        for key in ("median_working_days", "on_time_share", "penegakan"):
            if key in unit and period == 0:
                value = unit[key]
                yield {**row(kind, code, name, province, 0), "measure": key, "value": "" if value is None else value,
                       "note": ""}  # fmt: skip

    yield from rows("national", "ID", "Indonesia", None, 0, data["national"])
    for month in data["trend"]:
        yield from rows("national", "ID", "Indonesia", None, month["month"], month)
    for province in data["provinces"]:
        yield from rows("province", province["code"], province["name"], province["code"], 0, province)
        for month in province.get("trend", []):
            yield from rows("province", province["code"], province["name"], province["code"], month["month"], month)
    for agency in data["agencies"]:
        yield from rows("agency", agency["code"], agency["name"], agency["province_code"], 0, agency)


def csv_text(data: dict[str, Any]) -> str:
    out = io.StringIO()
    fields = ELECTION_CSV_FIELDS if data.get("election") else CSV_FIELDS
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(_csv_rows(data))
    return out.getvalue()


def latest_release(year: int, election_id: int = 0) -> PublicRelease | None:
    """The latest release of a year (or of an election: year 0 and its id)."""
    return db.session.scalar(
        select(PublicRelease)
        .where(PublicRelease.year == year, PublicRelease.election_id == election_id)
        .order_by(PublicRelease.version.desc())
        .limit(1)
    )


def refresh_year(year: int, now: datetime | None = None) -> PublicRelease:
    """Recompute the year's figures; a new release when the published content changed (flushes)."""
    return _refresh(year, None, now or utcnow())


def refresh_election(election: Election, now: datetime | None = None) -> PublicRelease:
    """Recompute an election's figures (its linked cases); a new release when they changed (flushes)."""
    return _refresh(0, election, now or utcnow())


def _refresh(year: int, election: Election | None, now: datetime) -> PublicRelease:
    election_id = election.id if election else 0
    content, hidden = build(year, now, election)
    digest = _digest(content)
    latest = latest_release(year, election_id)
    if latest is not None and latest.sha256 == digest and latest.threshold == content["threshold"]:
        latest.checked_at = now
        return latest
    version = (latest.version if latest else 0) + 1
    body_json, body_csv = serialize(content, version, now)
    release = PublicRelease(
        election_id=election_id,
        hidden_json=json.dumps(hidden),
        year=year,
        version=version,
        released_at=now,
        checked_at=now,
        threshold=content["threshold"],
        sha256=digest,
        body_json=body_json,
        body_csv=body_csv,
    )
    db.session.add(release)
    db.session.flush()
    current_app.extensions.pop(CACHE_KEY, None)
    return release


def years_to_refresh(now: datetime) -> list[int]:
    """Every year from the first recommendation to this one (this year alone when there is none)."""
    this_year = current_year(now)
    first = first_issue_year() or this_year
    return list(range(min(first, this_year), this_year + 1))


def refresh(now: datetime | None = None, years: list[int] | None = None) -> list[PublicRelease]:
    """Refresh the given years; by default this year and the last, every year with data that has no release yet,
    and the one other year checked longest ago (a recommendation of an older year can still be followed up: each
    run brings one more older year up to date, in turn)."""
    now = now or utcnow()
    if years is None:
        this_year = current_year(now)
        chosen = {this_year - 1, this_year}
        known = {row["year"]: row["checked_at"] for row in release_years()}
        chosen |= set(years_to_refresh(now)) - set(known)
        older = sorted((checked, year) for year, checked in known.items() if year not in chosen)
        if older:
            chosen.add(older[0][1])
        years = sorted(chosen)
    return [refresh_year(year, now) for year in years]


def elections_to_refresh() -> list[Election]:
    """The elections with a linked case or a release already."""
    linked = select(CaseElection.election_id)
    released = select(PublicRelease.election_id).where(PublicRelease.election_id != 0)
    return list(
        db.session.scalars(
            select(Election).where(Election.id.in_(linked) | Election.id.in_(released)).order_by(Election.id)
        )
    )


def refresh_elections(now: datetime | None = None, elections: list[Election] | None = None) -> list[PublicRelease]:
    """Refresh the given elections' figures (by default every election with a linked case or a release)."""
    now = now or utcnow()
    return [refresh_election(e, now) for e in (elections if elections is not None else elections_to_refresh())]


def is_published(year: int, election_id: int = 0) -> bool:
    """The administrator's switch in force for the year or the election (its latest row), else
    PUBLIC_PUBLISH_DEFAULT."""
    row = db.session.scalar(
        select(PublicPublication)
        .where(PublicPublication.year == year, PublicPublication.election_id == election_id)
        .order_by(PublicPublication.changed_at.desc(), PublicPublication.id.desc())
        .limit(1)
    )
    if row is None:
        return bool(current_app.config.get("PUBLIC_PUBLISH_DEFAULT", True))
    return bool(row.published)


def set_published(
    year: int,
    published: bool,
    reason: str,
    user_id: int | None,
    now: datetime | None = None,
    election_id: int = 0,
) -> None:
    """Record the switch of a year (or of an election: year 0 and its id) (flushes); the history keeps every row."""
    db.session.add(
        PublicPublication(
            year=year,
            election_id=election_id,
            published=published,
            reason=reason,
            changed_by_id=user_id,
            changed_at=now or utcnow(),
        )
    )
    db.session.flush()
    current_app.extensions.pop(CACHE_KEY, None)


def publication_history(year: int, election_id: int = 0) -> list[PublicPublication]:
    return list(
        db.session.scalars(
            select(PublicPublication)
            .where(PublicPublication.year == year, PublicPublication.election_id == election_id)
            .order_by(PublicPublication.id)
        )
    )


def release_years() -> list[dict[str, Any]]:
    """Each year with a release: its latest version and moments."""
    stmt = (
        select(
            PublicRelease.year,
            func.max(PublicRelease.version).label("version"),
            func.max(PublicRelease.released_at).label("released_at"),
            func.max(PublicRelease.checked_at).label("checked_at"),
        )
        .where(PublicRelease.election_id == 0)
        .group_by(PublicRelease.year)
        .order_by(PublicRelease.year.desc())
    )
    return [row._asdict() for row in db.session.execute(stmt)]


def release_elections() -> list[dict[str, Any]]:
    """Each election with a release: its latest version and moments, and the election itself (newest first)."""
    stmt = (
        select(
            PublicRelease.election_id,
            func.max(PublicRelease.version).label("version"),
            func.max(PublicRelease.released_at).label("released_at"),
            func.max(PublicRelease.checked_at).label("checked_at"),
        )
        .where(PublicRelease.election_id != 0)
        .group_by(PublicRelease.election_id)
    )
    rows = {row.election_id: row._asdict() for row in db.session.execute(stmt)}
    elections = db.session.scalars(select(Election).where(Election.id.in_(rows)))
    listed = [{**rows[e.id], "election": election_about(e)} for e in elections]
    return sorted(listed, key=lambda r: (r["election"]["starts_on"], r["election_id"]), reverse=True)
