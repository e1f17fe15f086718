"""What each public figure means: one definition per measure, in Indonesian and English, used by the page (every
figure links to its definition), the data dictionary of the open data and docs/public-figures.md.

The measures count recommendations with the IM-NKK's own predicates (docs/index-method.md §3–§4): a
recommendation belongs to the year and month of its issue in its agency's own time zone.
"""

from __future__ import annotations

from typing import Any

LICENCE = {
    "id": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
SCHEMA_VERSION = "1.0"

# key: (Indonesian label, English label, Indonesian definition, English definition, index-method anchor)
_DEFINITIONS: dict[str, tuple[str, str, str, str, str | None]] = {
    "cases_received": (
        "Perkara diterima",
        "Cases received",
        "Perkara yang dicatat pada tahun itu (waktu setempat instansi) dan sudah sampai pada rekomendasi yang "
        "diterbitkan. Perkara yang belum sampai rekomendasi hanya dihitung dalam total nasional.",
        "Cases registered in the year (the agency's local time) that have reached an issued recommendation. "
        "Cases still before a recommendation are counted only in the national total.",
        None,
    ),
    "recommendations_issued": (
        "Rekomendasi diterbitkan",
        "Recommendations issued",
        "Rekomendasi yang diterbitkan kepada PPK instansi pada tahun itu (indikator `received` IM-NKK).",
        "Recommendations issued to the agency's PPK in the year (the IM-NKK indicator `received`).",
        "4-enforcement-indicators-per-agency-and-year",
    ),
    "followed_up": (
        "Ditindaklanjuti",
        "Followed up",
        "Rekomendasi yang tindak lanjutnya diterima (`followed_up` IM-NKK).",
        "Recommendations whose follow-up was accepted (IM-NKK `followed_up`).",
        "4-enforcement-indicators-per-agency-and-year",
    ),
    "on_time": (
        "Ditindaklanjuti tepat waktu",
        "Followed up within the deadline",
        "Ditindaklanjuti, tidak ditandai terlambat, dan dilaporkan paling lambat pada tenggat (`on_time` IM-NKK).",
        "Followed up, not flagged late, and reported no later than the deadline (IM-NKK `on_time`).",
        "4-enforcement-indicators-per-agency-and-year",
    ),
    "late": (
        "Ditindaklanjuti terlambat",
        "Followed up late",
        "Ditindaklanjuti, tetapi tidak tepat waktu: ditindaklanjuti − tepat waktu.",
        "Followed up, but not within the deadline: followed up − within the deadline.",
        None,
    ),
    "conforming": (
        "Sanksi sesuai rekomendasi",
        "Sanction matched the recommendation",
        "Ditindaklanjuti dengan sanksi yang dijatuhkan setidaknya seberat yang direkomendasikan (`conforming`).",
        "Followed up with an imposed sanction at least as heavy as recommended (IM-NKK `conforming`).",
        "4-enforcement-indicators-per-agency-and-year",
    ),
    "lighter_sanction": (
        "Sanksi lebih ringan",
        "Lighter sanction",
        "Ditindaklanjuti dengan sanksi lebih ringan daripada yang direkomendasikan (`lighter_sanction`).",
        "Followed up with a lighter sanction than recommended (IM-NKK `lighter_sanction`).",
        "4-enforcement-indicators-per-agency-and-year",
    ),
    "escalated": (
        "Dieskalasi",
        "Escalated",
        "Rekomendasi yang pernah mencapai eskalasi tingkat 2 atau 3 (kementerian pembina, lalu otoritas) "
        "(`escalated`).",
        "Recommendations that reached escalation level 2 or 3 (the supervising ministry, then the authority) "
        "(IM-NKK `escalated`).",
        "4-enforcement-indicators-per-agency-and-year",
    ),
    "open": (
        "Masih terbuka",
        "Still open",
        "Rekomendasi yang masih menunggu tindak lanjut (`open` IM-NKK).",
        "Recommendations still awaiting follow-up (IM-NKK `open`).",
        "4-enforcement-indicators-per-agency-and-year",
    ),
    "open_within_deadline": (
        "Terbuka, dalam tenggat",
        "Open, within the deadline",
        "Masih terbuka dan tenggatnya belum lewat.",
        "Still open and its deadline has not passed.",
        None,
    ),
    "open_level_1": (
        "Terbuka, lewat tenggat (tingkat 1)",
        "Open past the deadline (level 1)",
        "Masih terbuka, tenggat sudah lewat, belum dieskalasi ke kementerian.",
        "Still open, past its deadline, not yet escalated to the ministry.",
        None,
    ),
    "open_level_2": (
        "Terbuka, tingkat 2 (kementerian)",
        "Open at level 2 (ministry)",
        "Masih terbuka setelah dieskalasi ke Menpan-RB atau Kemendagri, belum ke tingkat 3.",
        "Still open after escalation to Menpan-RB or Kemendagri, not yet at level 3.",
        None,
    ),
    "open_level_3": (
        "Terbuka, tingkat 3 (otoritas)",
        "Open at level 3 (authority)",
        "Masih terbuka setelah laporan tingkat 3 otoritas pengawas.",
        "Still open after the oversight authority's level-3 report.",
        None,
    ),
    "other_outcome": (
        "Lainnya (menunggu penilaian atau ditutup)",
        "Other (awaiting verdict or closed)",
        "Rekomendasi yang tidak ditindaklanjuti dan tidak terbuka: tindak lanjut menunggu penilaian, sanggahan "
        "sedang diproses, atau ditutup secara administratif. Rekomendasi = ditindaklanjuti + terbuka + lainnya.",
        "Recommendations neither followed up nor open: a follow-up awaiting the verdict, an objection being "
        "answered, or closed administratively. Recommendations = followed up + open + other.",
        None,
    ),
    "cases_before_recommendation": (
        "Perkara belum sampai rekomendasi",
        "Cases before a recommendation",
        "Perkara yang dicatat pada tahun itu yang belum (atau tidak) sampai pada rekomendasi: ditelaah, "
        "dihentikan, atau rekomendasinya belum diterbitkan. Hanya total nasional.",
        "Cases registered in the year that have not (or never) reached a recommendation: under review, "
        "dismissed, or not yet issued. National total only.",
        None,
    ),
    "cases_received_all": (
        "Semua perkara diterima",
        "All cases received",
        "Perkara diterima + perkara belum sampai rekomendasi. Hanya total nasional.",
        "Cases received + cases before a recommendation. National total only.",
        None,
    ),
    "median_working_days": (
        "Median hari kerja sampai tindak lanjut",
        "Median working days to follow-up",
        "Median hari kerja dari penerimaan rekomendasi sampai tindak lanjut yang diterima; hanya bila jumlah "
        "tindak lanjut diterbitkan (tidak disamarkan).",
        "Median working days from receipt of the recommendation to the accepted follow-up; only where the number "
        "of follow-ups is published (not suppressed).",
        "5-the-case-based-sub-criterion-penegakantindak_lanjut",
    ),
    "on_time_share": (
        "Tepat waktu (%)",
        "Within the deadline (%)",
        "Tepat waktu ÷ rekomendasi diterbitkan × 100; hanya bila keduanya diterbitkan. Dasar peringkat.",
        "Within the deadline ÷ recommendations issued × 100; only where both are published. The ranking's basis.",
        None,
    ),
    "penegakan": (
        "Skor penegakan IM-NKK",
        "IM-NKK penegakan score",
        "Kriteria penegakan (40 %) IM-NKK tahun itu, dari snapshot yang dibekukan; kosong sebelum tahun itu "
        "dibekukan, dan bila instansi menerima kurang dari ambang rekomendasi.",
        "The IM-NKK penegakan criterion (40 %) of the year, from the frozen snapshot; empty before the year is "
        "frozen, and where the agency received fewer recommendations than the threshold.",
        "1-criteria-and-the-raw-score-out-of-300",
    ),
}

# The counts published per unit, in order (other_outcome is derived: issued − followed up − open).
COUNTS = (
    "cases_received",
    "recommendations_issued",
    "followed_up",
    "on_time",
    "late",
    "conforming",
    "lighter_sanction",
    "escalated",
    "open",
    "open_within_deadline",
    "open_level_1",
    "open_level_2",
    "open_level_3",
    "other_outcome",
)
NATIONAL_ONLY = ("cases_before_recommendation", "cases_received_all")
TREND = ("cases_received", "recommendations_issued", "followed_up", "on_time", "late")
# Columns of the page's table (a subset; the open data has every count).
TABLE = ("recommendations_issued", "followed_up", "on_time", "late", "escalated", "open", "conforming")


def label(key: str, locale: str = "id") -> str:
    entry = _DEFINITIONS[key]
    return entry[1] if locale == "en" else entry[0]


def definition(key: str, locale: str = "id") -> str:
    """The definition in words (the IM-NKK's indicator keys written plain, without code quotes)."""
    entry = _DEFINITIONS[key]
    return (entry[3] if locale == "en" else entry[2]).replace("`", "")


def method_anchor(key: str) -> str | None:
    return _DEFINITIONS[key][4]


def measure_keys() -> tuple[str, ...]:
    return tuple(_DEFINITIONS)


def dictionary() -> dict[str, Any]:
    """The data dictionary of the open data (a Frictionless Table Schema for the CSV, plus every measure)."""
    measures = [
        {
            "key": key,
            "label": label(key),
            "label_en": label(key, "en"),
            "definition": definition(key),
            "definition_en": definition(key, "en"),
            "type": "number" if key in ("median_working_days", "on_time_share", "penegakan") else "integer",
        }
        for key in _DEFINITIONS
    ]
    body: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "licence": LICENCE,
        "suppression": {
            "id": "Angka di bawah ambang ditampilkan sebagai '< N' (nilai kosong); angka yang disamarkan agar angka "
            "kecil tidak dapat dihitung dari total ditampilkan sebagai 'x' (nilai kosong).",
            "en": "Counts below the threshold are shown as '< N' (empty value); counts hidden so that a small count "
            "cannot be worked out from a total are shown as 'x' (empty value).",
            "versions_id": "Setiap versi baru disamarkan bersama versi sebelumnya: angka yang disamarkan tetap "
            "disamarkan kecuali nilai dan perubahannya sama-sama tidak kecil, sehingga selisih dua versi tidak "
            "membuka angka kecil.",
            "versions_en": "Each new version is suppressed together with the one before it: a hidden count stays "
            "hidden unless its value and its change are both not small, so the difference of two versions does not "
            "reveal a small count.",
        },
        "measures": measures,
        "csv_schema": {
            "fields": [
                {"name": "year", "type": "integer", "constraints": {"required": True}},
                {"name": "version", "type": "integer", "constraints": {"required": True, "minimum": 1}},
                {
                    "name": "unit_kind",
                    "type": "string",
                    "constraints": {"required": True, "enum": ["national", "province", "agency"]},
                },
                {"name": "unit_code", "type": "string", "constraints": {"required": True}},
                {"name": "unit_name", "type": "string", "constraints": {"required": True}},
                {"name": "province_code", "type": "string"},
                {"name": "period", "type": "integer", "constraints": {"required": True, "minimum": 0, "maximum": 12}},
                {"name": "measure", "type": "string", "constraints": {"required": True, "enum": list(_DEFINITIONS)}},
                {"name": "value", "type": "number"},
                {"name": "note", "type": "string", "constraints": {"pattern": r"^(|< \d+|x)$"}},
            ],
            "primaryKey": ["unit_kind", "unit_code", "period", "measure"],
        },
    }
    # An election's CSV: the same columns, the election's id where a year's file has the year; no months.
    fields = [dict(f) for f in body["csv_schema"]["fields"]]
    fields[0] = {"name": "election_id", "type": "integer", "constraints": {"required": True, "minimum": 1}}
    body["election_csv_schema"] = {"fields": fields, "primaryKey": body["csv_schema"]["primaryKey"]}
    body["scopes"] = {
        "id": "Berkas per tahun: period 0 = setahun, 1–12 = bulan (nasional dan per provinsi). Berkas per pemilu: "
        "perkara yang ditautkan ke pemilu itu, apa pun tahunnya; hanya period 0.",
        "en": "Files per year: period 0 = the whole year, 1–12 = the months (national and per province). Files per "
        "election: the cases linked to that election, whatever their year; period 0 only.",
    }
    return body
