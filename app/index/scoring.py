"""The IM-NKK method applied: penegakan from case indicators, the four criteria, score, index and category.

Pure functions over plain data (no database): `queries` counts, `services` loads and stores. See
docs/index-method.md for the method in prose; the numbers live in `method.py`.

Derivation of the raw score: each criterion is a percentage (0-100); their weighted mean (weights
20/30/40/10) is the agency's weighted percentage; published results are out of 300, so
score = weighted percentage x 300 / 100 and index = score / 300 (DIY 275 -> 0.92).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.index.method import CASE_SUBCRITERION, CRITERIA, DEFAULT_METHOD, Method

DEFAULT_CRITERION_LABELS = {key: str(DEFAULT_METHOD["criteria"][key]["label"]) for key in CRITERIA}

# The enforcement object of the API (DESIGN §7), in this order.
API_ENFORCEMENT_KEYS = (
    "received",
    "followed_up",
    "on_time",
    "lighter_sanction",
    "escalated",
    "open",
    "median_working_days",
)

# Indicators shown per agency: key, label, the indicator whose count is its denominator.
INDICATORS: tuple[tuple[str, str, str | None], ...] = (
    ("received", "Rekomendasi yang diterima", None),
    ("followed_up", "Ditindaklanjuti (tindak lanjut diterima KASN)", "received"),
    ("on_time", "Ditindaklanjuti tepat waktu", "received"),
    ("median_working_days", "Median hari kerja sampai tindak lanjut", "followed_up"),
    ("conforming", "Sanksi yang dijatuhkan setidaknya seberat rekomendasi", "followed_up"),
    ("lighter_sanction", "Sanksi lebih ringan dari rekomendasi", "followed_up"),
    ("escalated", "Mencapai eskalasi level 2 (Menpan-RB / Kemendagri)", "received"),
    ("escalated_level3", "Mencapai eskalasi level 3 (laporan kepada Presiden)", "received"),
    ("clarifications", "Mengajukan sanggahan / klarifikasi", "received"),
    ("open", "Masih menunggu tindak lanjut", "received"),
    ("pending", "Belum dinilai: belum jatuh tempo, sanggahan berjalan atau menunggu verifikasi", "received"),
    ("closed", "Ditutup secara administratif (tidak dinilai)", "received"),
    ("assessable", "Dinilai: sudah jatuh tempo", "received"),
    ("not_followed_up", "Sudah jatuh tempo tetapi belum ditindaklanjuti", "assessable"),
)
INDICATOR_KEYS = frozenset(key for key, _, _ in INDICATORS if key != "median_working_days")

COMPONENT_LABELS = {
    "follow_up": "Rekomendasi jatuh tempo yang ditindaklanjuti",
    "on_time": "Rekomendasi jatuh tempo yang ditindaklanjuti tepat waktu",
    "conformity": "Tindak lanjut dengan sanksi setidaknya seberat rekomendasi",
    "no_escalation": "Rekomendasi yang tidak sampai eskalasi level 2",
    "no_escalation_level3": "Rekomendasi yang tidak sampai eskalasi level 3",
    "speed": "Kecepatan: median hari kerja sampai tindak lanjut",
}

NOT_MEASURABLE_NO_CASES = (
    "Tidak dapat diukur dari data perkara: tidak ada rekomendasi yang diterbitkan kepada instansi pada tahun "
    "ini. Bobotnya dialihkan ke subkriteria penegakan yang dinilai mandiri."
)
NOT_MEASURABLE_NOT_DUE = (
    "Tidak dapat diukur dari data perkara: belum ada rekomendasi yang jatuh tempo (semua masih berjalan atau "
    "ditutup). Bobotnya dialihkan ke subkriteria penegakan yang dinilai mandiri."
)
NOT_ASSESSED = "Belum dinilai: instansi belum mengisi penilaian mandiri tahun ini."
# An agency measured on fewer than all four criteria gets no category, only this with what is missing.
INCOMPLETE = "Belum lengkap"


@dataclass(frozen=True)
class Answer:
    """A self-assessment answer as the index uses it."""

    score: float | None
    stage: str
    verified: bool


def counts_with_defaults(counts: dict[str, int] | None) -> dict[str, int]:
    keys = (
        "received", "followed_up", "on_time", "lighter_sanction", "escalated", "escalated_level3",
        "clarifications", "open", "pending", "closed", "assessable",
    )  # fmt: skip
    base = dict.fromkeys(keys, 0)
    base.update(counts or {})
    base["conforming"] = base["followed_up"] - base["lighter_sanction"]
    base["not_followed_up"] = base["assessable"] - base["followed_up"]
    return base


def speed_share(median_days: float, method: Method) -> float:
    full = float(method.enforcement["speed_full_days"])
    zero = float(method.enforcement["speed_zero_days"])
    if median_days <= full:
        return 1.0
    if median_days >= zero:
        return 0.0
    return (zero - median_days) / (zero - full)


def score_enforcement(counts: dict[str, int], median_days: float | None, method: Method) -> dict[str, Any]:
    """The case-based sub-criterion (0-100) with its components, or None and the reason it is not measurable.

    Follow-up shares are over the recommendations already due (`assessable`): those still within their
    deadline, under a pending clarification or awaiting KASN's verdict, and those closed administratively,
    are neither credited nor held against the agency. Escalation shares are over every recommendation
    received: an escalation, once reached, stays a fact.
    """
    weights = method.enforcement["weights"]
    if counts["received"] == 0:
        return {"score": None, "note": NOT_MEASURABLE_NO_CASES, "components": []}
    due = counts["assessable"]
    if due == 0:
        return {"score": None, "note": NOT_MEASURABLE_NOT_DUE, "components": []}
    followed = counts["followed_up"]
    shares: dict[str, float | None] = {
        "follow_up": followed / due,
        "on_time": counts["on_time"] / due,
        "conformity": (followed - counts["lighter_sanction"]) / followed if followed else 0.0,
        # an escalation is a fact once reached, whatever happened next: over every recommendation received
        "no_escalation": 1 - counts["escalated"] / counts["received"],
        "no_escalation_level3": 1 - counts["escalated_level3"] / counts["received"],
        "speed": 0.0 if followed == 0 else (None if median_days is None else speed_share(median_days, method)),
    }
    used = {key: float(weights.get(key, 0)) for key, share in shares.items() if share is not None}
    total_weight = sum(used.values())
    score = 100 * sum(used[key] * shares[key] for key in used) / total_weight if total_weight else 0.0  # type: ignore[operator]
    components = [
        {
            "key": key,
            "label": COMPONENT_LABELS[key],
            "weight": float(weights.get(key, 0)),
            "share": None if share is None else round(share, 6),
            "points": None if share is None or not total_weight else round(100 * used[key] * share / total_weight, 4),
        }
        for key, share in shares.items()
    ]
    note = None
    if shares["speed"] is None:
        note = "Hari kerja tindak lanjut tidak tercatat: komponen kecepatan tidak dihitung, bobotnya dibagi rata."
    return {"score": round(score, 4), "note": note, "components": components}


def _weighted(values: dict[str, float | None], weights: dict[str, float]) -> tuple[float | None, dict[str, float]]:
    """Weighted mean over the measured values; the weight of unmeasured ones moves to the measured."""
    measured = {key: w for key, w in weights.items() if values.get(key) is not None}
    total = sum(measured.values())
    if not measured or total <= 0:
        return None, dict.fromkeys(weights, 0.0)
    mean = sum(w * float(values[key]) for key, w in measured.items()) / total  # type: ignore[arg-type]
    effective = {key: (measured[key] / total if key in measured else 0.0) for key in weights}
    return mean, effective


def completeness(item: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """The one rule for categories, applied to a computed item and to a published one alike: an agency measured on
    all four criteria has its category; one measured on fewer has none, only "Belum lengkap" with the criteria
    still missing (`missing_criteria`, their Indonesian names in `labels`). Changes and returns `item`.

    Snapshots frozen before this rule kept a category for incomplete agencies: it is not shown (the stored score,
    index and criteria are unchanged), so every page, answer and export says the same of the same figures.
    """
    criteria = item["criteria"]
    missing = [key for key in CRITERIA if criteria.get(key) is None]
    item["complete"] = not missing
    item["missing_criteria"] = [{"key": key, "label": labels.get(key, key)} for key in missing]
    if missing:
        item["category"] = None
        item["category_label"] = f"{INCOMPLETE} (belum terukur: {', '.join(labels.get(k, k) for k in missing)})"
    else:
        item["category_label"] = item["category"]
    return item


def criterion_labels(params: dict[str, Any] | None = None) -> dict[str, str]:
    """The Indonesian names of the four criteria in a method's parameters (a snapshot keeps its own)."""
    criteria = (params or {}).get("criteria") or {}
    return {key: str((criteria.get(key) or {}).get("label") or DEFAULT_CRITERION_LABELS[key]) for key in CRITERIA}


def score_agency(
    agency: dict[str, Any],
    counts: dict[str, int] | None,
    median_days: float | None,
    answers: dict[str, Answer],
    method: Method,
    *,
    year: int | None = None,
) -> dict[str, Any]:
    """Everything the index says about one agency: criteria, sub-criteria, indicators, score, category.

    With `year`, an agency that ended before the year began (`agency["ended_on"]` on or before 1 January) is
    marked `ended` and is not ranked.
    """
    counts = counts_with_defaults(counts)
    enforcement = score_enforcement(counts, median_days, method)
    participates = any(a.score is not None for a in answers.values())
    values: dict[str, float | None] = {}
    notes: dict[str, str | None] = {}
    for key, sub in method.subcriteria.items():
        answer = answers.get(key)
        if sub["source"] == "cases":
            values[key], notes[key] = enforcement["score"], enforcement["note"]
        elif not participates:
            values[key], notes[key] = None, NOT_ASSESSED
        elif answer is None or answer.score is None:
            values[key], notes[key] = 0.0, "Tidak diisi: dinilai 0."
        else:
            values[key], notes[key] = float(answer.score), None
    criteria: dict[str, float | None] = {}
    effective: dict[str, float] = {}
    for criterion in CRITERIA:
        keys = method.subcriteria_of(criterion)
        mean, shares = _weighted(values, {k: float(method.subcriteria[k]["weight"]) for k in keys})
        criteria[criterion] = None if mean is None else round(mean, 2)
        effective.update(shares)
    subcriteria = []
    for key, sub in method.subcriteria.items():
        answer = answers.get(key)
        value = values[key]
        subcriteria.append(
            {
                "key": key,
                "label": sub["label"],
                "criterion": sub["criterion"],
                "source": sub["source"],
                "weight": float(sub["weight"]),
                "effective_weight": round(effective[key], 6),
                "score": None if value is None else round(value, 4),
                "note": notes[key],
                "stage": answer.stage if answer is not None and sub["source"] == "self" else None,
                "verified": answer is not None and answer.verified,
            }
        )
    weights = {k: float(method.criteria[k]["weight"]) for k in CRITERIA}
    total_weight = sum(weights.values())
    weighted_pct = sum(weights[k] * (criteria[k] or 0.0) for k in CRITERIA) / total_weight
    score = round(weighted_pct * method.max_score / 100, 6)
    ended_on = agency.get("ended_on")
    ended = year is not None and ended_on is not None and ended_on <= date(year, 1, 1)
    indicators = []
    for key, label, denominator in INDICATORS:
        value: float | int | None = median_days if key == "median_working_days" else counts[key]
        base = counts[denominator] if denominator else None
        share = None
        if key != "median_working_days" and base:
            share = round(counts[key] / base, 6)
        indicators.append(
            {"key": key, "label": label, "value": value, "denominator": denominator, "denominator_value": base,
             "share": share, "has_cases": key != "median_working_days"}
        )  # fmt: skip
    item = {
        "agency_id": agency["id"],
        "agency_code": agency["code"],
        "agency_name": agency["name"],
        "agency_kind": agency["kind"],
        "rank": None,
        "criteria": criteria,
        "score": score,
        "index": score / method.max_score,
        "category": method.category_for(score / method.max_score),
        "complete": all(v is not None for v in criteria.values()),
        "ended": ended,
        "ended_on": ended_on.isoformat() if ended_on is not None else None,
        "successor_name": agency.get("successor_name"),
        "enforcement": {
            **{k: counts[k] for k in API_ENFORCEMENT_KEYS if k != "median_working_days"},
            "median_working_days": median_days,
        },
        "indicators": indicators,
        "enforcement_score": enforcement["score"],
        "enforcement_note": enforcement["note"],
        "enforcement_components": enforcement["components"],
        "subcriteria": subcriteria,
        "method_version": method.version,
    }
    return completeness(item, criterion_labels(method.params))


def is_ranked(item: dict[str, Any]) -> bool:
    """Ranked: at least one criterion measured, and the agency still existed in the year."""
    return not item.get("ended") and any(v is not None for v in item["criteria"].values())


def rank(
    items: list[dict[str, Any]],
    *,
    score: Callable[[dict[str, Any]], float] = lambda i: i["score"],
    ranked: Callable[[dict[str, Any]], bool] = is_ranked,
) -> list[dict[str, Any]]:
    """Order by score (ties share a rank: 1, 2, 2, 4); agencies with nothing measured, and agencies that ended
    before the year, come last, unranked. An incomplete agency is ranked on its score but has no category.
    `score` and `ranked` read another figure the same way (an election's enforcement, app/index/elections.py)."""
    measured = [i for i in items if ranked(i)]
    unmeasured = [i for i in items if not ranked(i)]
    measured.sort(key=lambda i: (-score(i), i["agency_name"], i["agency_id"]))
    unmeasured.sort(key=lambda i: (i["agency_name"], i["agency_id"]))
    previous_score, previous_rank = None, 0
    for position, item in enumerate(measured, start=1):
        if score(item) != previous_score:
            previous_rank, previous_score = position, score(item)
        item["rank"] = previous_rank
    for item in unmeasured:
        item["rank"] = None
    return measured + unmeasured


def api_item(detail: dict[str, Any]) -> dict[str, Any]:
    """The contract item of `GET /api/v1/index` (DESIGN §7) from an agency's full result."""
    return {
        "agency_id": detail["agency_id"],
        "agency_code": detail["agency_code"],
        "agency_name": detail["agency_name"],
        "rank": detail["rank"],
        "criteria": {k: detail["criteria"][k] for k in CRITERIA},
        "score": detail["score"],
        "index": detail["index"],
        "category": detail["category"],
        "category_label": detail.get("category_label"),
        "complete": detail["complete"],
        "missing_criteria": detail.get("missing_criteria", []),
        "ended_on": detail.get("ended_on"),
        "successor_name": detail.get("successor_name"),
        "enforcement": {k: detail["enforcement"][k] for k in API_ENFORCEMENT_KEYS},
    }


__all__ = [
    "API_ENFORCEMENT_KEYS",
    "CASE_SUBCRITERION",
    "INCOMPLETE",
    "INDICATORS",
    "Answer",
    "api_item",
    "completeness",
    "criterion_labels",
    "is_ranked",
    "rank",
    "score_agency",
    "score_enforcement",
]
