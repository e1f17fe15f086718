"""Reference agencies (instansi) shipped with the code: provinces, kabupaten/kota and central agencies.

`agencies.csv` beside this module is the data (see README.md there for its sources and as-of date);
`load_reference()` upserts it by code so running it again changes nothing, and fields an admin owns
(the PPK's email, the escalation override, whether the agency is active) are never overwritten.

An agency that ended carries the first day it no longer exists (`ended_on`) and the code of the agency that
took over (`successor_code`). The file sets them when it has them; an end an admin recorded for an agency the
file leaves blank stays.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from app.core.vocab import AgencyKind
from app.db import db
from app.models.agencies import Agency

REFERENCE_CSV = Path(__file__).resolve().parent / "agencies.csv"
COLUMNS = ("code", "name", "kind", "timezone", "parent_code", "ppk_title", "source", "ended_on", "successor_code")
# Fields the reference file owns; everything else on an agency belongs to its admins.
REFERENCE_FIELDS = ("name", "kind", "timezone", "ppk_title", "source")


class ReferenceDataError(ValueError):
    """The reference file is malformed (the message names the line)."""


@dataclass(frozen=True)
class ReferenceAgency:
    code: str
    name: str
    kind: str
    timezone: str
    parent_code: str | None
    ppk_title: str
    source: str
    ended_on: date | None = None
    successor_code: str | None = None


def _end(line: int, row: dict[str, str]) -> date | None:
    if not row["ended_on"]:
        if row["successor_code"]:
            raise ReferenceDataError(f"baris {line}: instansi pengganti tanpa tanggal berakhir")
        return None
    try:
        return date.fromisoformat(row["ended_on"])
    except ValueError as exc:
        raise ReferenceDataError(f"baris {line}: tanggal berakhir {row['ended_on']!r} bukan TTTT-BB-HH") from exc


def read_reference(path: Path | str | None = None) -> list[ReferenceAgency]:
    """Parse and validate the reference file; raises ReferenceDataError on the first bad line."""
    path = Path(path) if path else REFERENCE_CSV
    kinds = {k.value for k in AgencyKind}
    rows: list[ReferenceAgency] = []
    seen: set[str] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ReferenceDataError(f"kolom berkas referensi harus {', '.join(COLUMNS)}")
        for line, raw in enumerate(reader, start=2):
            row = {k: (raw.get(k) or "").strip() for k in COLUMNS}
            if not row["code"] or not row["name"]:
                raise ReferenceDataError(f"baris {line}: kode dan nama wajib diisi")
            if row["code"] in seen:
                raise ReferenceDataError(f"baris {line}: kode {row['code']} ganda")
            if len(row["name"]) > 200 or len(row["source"]) > 200:
                raise ReferenceDataError(f"baris {line}: nama dan sumber paling panjang 200 karakter")
            if row["kind"] not in kinds:
                raise ReferenceDataError(f"baris {line}: jenis instansi {row['kind']!r} tidak dikenal")
            try:
                ZoneInfo(row["timezone"])
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ReferenceDataError(f"baris {line}: zona waktu {row['timezone']!r} tidak dikenal") from exc
            seen.add(row["code"])
            rows.append(
                ReferenceAgency(
                    code=row["code"],
                    name=row["name"],
                    kind=row["kind"],
                    timezone=row["timezone"],
                    parent_code=row["parent_code"] or None,
                    ppk_title=row["ppk_title"],
                    source=row["source"],
                    ended_on=_end(line, row),
                    successor_code=row["successor_code"] or None,
                )
            )
    for ref in rows:
        if ref.parent_code and ref.parent_code not in seen:
            raise ReferenceDataError(f"kode induk {ref.parent_code} dari {ref.code} tidak ada di berkas")
        if ref.successor_code and (ref.successor_code not in seen or ref.successor_code == ref.code):
            raise ReferenceDataError(f"instansi pengganti {ref.successor_code} dari {ref.code} tidak ada di berkas")
    return rows


def load_reference(path: Path | str | None = None) -> dict[str, Any]:
    """Upsert the reference agencies by code (flush, no commit); idempotent.

    Returns `{"by_kind": {kind: n}, "created": n, "updated": n, "unchanged": n, "total": n, "ended": n}` (`ended`:
    the rows with an end date, counted in `total` and `by_kind`).
    """
    rows = read_reference(path)
    existing = {a.code: a for a in db.session.scalars(select(Agency).where(Agency.code.in_([r.code for r in rows])))}
    created: set[str] = set()
    changed: set[str] = set()
    for ref in rows:
        agency = existing.get(ref.code)
        if agency is None:
            agency = Agency(code=ref.code, is_active=True, **{f: getattr(ref, f) for f in REFERENCE_FIELDS})
            db.session.add(agency)
            existing[ref.code] = agency
            created.add(ref.code)
            continue
        for field in REFERENCE_FIELDS:
            value = getattr(ref, field)
            if getattr(agency, field) != value:
                setattr(agency, field, value)
                changed.add(ref.code)
    db.session.flush()  # ids for the parents
    for ref in rows:
        agency = existing[ref.code]
        parent_id = existing[ref.parent_code].id if ref.parent_code else None
        if agency.parent_id != parent_id:
            agency.parent_id = parent_id
            changed.add(ref.code)
        if ref.ended_on is not None:  # a blank end leaves an end an admin recorded
            successor_id = existing[ref.successor_code].id if ref.successor_code else None
            if (agency.ended_on, agency.successor_id) != (ref.ended_on, successor_id):
                agency.ended_on, agency.successor_id = ref.ended_on, successor_id
                changed.add(ref.code)
    db.session.flush()
    updated = len(changed - created)
    by_kind = Counter(ref.kind for ref in rows)
    return {
        "by_kind": {k.value: by_kind.get(k.value, 0) for k in AgencyKind},
        "created": len(created),
        "updated": updated,
        "unchanged": len(rows) - len(created) - updated,
        "total": len(rows),
        "ended": sum(1 for ref in rows if ref.ended_on is not None),
    }
