"""NIP (Nomor Induk Pegawai) validation: 18 digits `YYYYMMDD YYYYMM G NNN` (Perka BKN 22/2007, DOMAIN §8)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.core.clock import utcnow

_NIP_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{4})(\d{2})([12])(\d{3})$", re.ASCII)
MIN_AGE_AT_APPOINTMENT = 18
PPPK_MARKER = 21  # NI PPPK: digits 13-14 reportedly "21" instead of a month (DOMAIN §8, unverified)


class InvalidNIP(ValueError):
    """The value is not a valid NIP; the message says why, in Indonesian."""


@dataclass(frozen=True)
class NIP:
    value: str
    birth_date: date
    appointment_year: int
    appointment_month: int | None
    gender: str
    sequence: int

    @property
    def formatted(self) -> str:
        v = self.value
        return f"{v[:8]} {v[8:14]} {v[14]} {v[15:]}"


def normalize_nip(raw: str) -> str:
    """Strip the spaces, dots and dashes NIPs are usually printed with."""
    return re.sub(r"[\s.\-]", "", raw or "")


def parse_nip(raw: str, *, pppk: bool = False) -> NIP:
    """Parse and validate a NIP; raises InvalidNIP with the reason.

    Checks: 18 digits; a real birth date; appointment (TMT CPNS) month 01-12 (or 21 for PPPK);
    appointment at least 18 years after birth and not in the future; gender digit 1 or 2;
    sequence not 000.
    """
    value = normalize_nip(raw)
    if not (value.isascii() and value.isdigit()):
        raise InvalidNIP("NIP hanya boleh berisi angka")
    if len(value) != 18:
        raise InvalidNIP(f"NIP harus 18 digit (diterima {len(value)} digit)")
    match = _NIP_RE.match(value)
    if match is None:
        raise InvalidNIP("digit ke-15 NIP (jenis kelamin) harus 1 atau 2")
    by, bm, bd, ay, am, gender, seq = match.groups()
    try:
        birth = date(int(by), int(bm), int(bd))
    except ValueError as exc:
        raise InvalidNIP("8 digit pertama NIP bukan tanggal lahir yang sah") from exc
    today = utcnow().date()
    if birth.year < 1900 or birth > today:
        raise InvalidNIP("tanggal lahir pada NIP tidak masuk akal")
    month = int(am)
    if pppk and month == PPPK_MARKER:
        appointment_month: int | None = None
    elif 1 <= month <= 12:
        appointment_month = month
    else:
        raise InvalidNIP("bulan TMT pada NIP (digit ke-13 dan ke-14) harus 01-12")
    year = int(ay)
    if year - birth.year < MIN_AGE_AT_APPOINTMENT:
        raise InvalidNIP("tahun TMT pada NIP harus sekurang-kurangnya 18 tahun setelah tanggal lahir")
    if year > today.year:
        raise InvalidNIP("tahun TMT pada NIP berada di masa depan")
    if int(seq) == 0:
        raise InvalidNIP("nomor urut NIP tidak boleh 000")
    return NIP(
        value=value,
        birth_date=birth,
        appointment_year=year,
        appointment_month=appointment_month,
        gender="L" if gender == "1" else "P",
        sequence=int(seq),
    )


def is_valid_nip(raw: str, *, pppk: bool = False) -> bool:
    try:
        parse_nip(raw, pppk=pppk)
    except InvalidNIP:
        return False
    return True
