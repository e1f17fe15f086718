"""A case's email context: everything a template of `notifications/templates/` may name about the case, its
agency, its recommendation and the event, built from the case as it is in the current transaction (the email
says what was true when the event happened). The letters (PDF) are filled from the same context, so a letter and
the email that announces it never disagree. The reporter's identity (`reporter_name`, `reporter_contact`) is
never read: emails reach PPKs and ministries, who must not learn who reported.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from app.agencies.authority import profile_for
from app.agencies.services import routed_body
from app.calendar.working_days import working_days_between
from app.core.clock import utcnow
from app.core.vocab import (
    AGENCY_KIND_LABELS,
    BODY_LABELS,
    CATEGORY_LABELS,
    NEUTRALITY_SUBCATEGORIES,
    SANCTION_FORMS,
    SANCTION_LABELS,
)
from app.db import db
from app.i18n import format_day, format_instant, tz_abbreviation
from app.models.agencies import Agency
from app.models.cases import Recommendation
from app.models.people import candidacy_incumbency

log = logging.getLogger(__name__)

# Emails that show the PPK's record; a caller sending many (the sweep) passes it as `extra["record"]`.
RECORD_KINDS = frozenset({"escalation", "final_report"})

OUTCOME_LABELS = {
    "upheld": "Rekomendasi tetap (sanggahan tidak diterima)",
    "revised": "Rekomendasi direvisi",
}

# Kinds sent while the deadline clock runs (or has run out): they show the due date.
CLOCK_KINDS = frozenset(
    {
        "recommendation_issued",
        "receipt_recorded",
        "deadline_extended",
        "reminder",
        "overdue",
        "escalation",
        "final_report",
        "follow_up_rejected",
        "clarification_answered",
    }
)

LEVEL_LABELS = {
    0: "Pengingat",
    1: "Pemberitahuan keterlambatan",
    2: "Eskalasi ke kementerian",
    3: "Laporan akhir",
}

_TARGET_LABELS = {
    **{k.value: v for k, v in BODY_LABELS.items()},
    "kasn": "Ketua KASN",
    "bkn": "Badan Kepegawaian Negara",
}

# Whom a level-3 escalation copies, named by the recipient rules of its `cc` (the officials, not their mailboxes).
OFFICIAL_TITLES = {
    "menpanrb": "Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
    "kemendagri": "Menteri Dalam Negeri",
    "bkn": "Kepala Badan Kepegawaian Negara",
    "kasn": "Ketua Komisi Aparatur Sipil Negara",
}
# The ladder's level-3 copies by default (DESIGN §4: the level-2 ministry and BKN), for a letter rendered outside
# the sweep of an authority whose row names none; the sweep hands the email the rules it used (`cc_rules`).
DEFAULT_LEVEL3_CC = ("ministry", "bkn")


def build_context(kind: str, *, case: Any | None, extra: Mapping[str, Any]) -> dict[str, Any]:
    """Everything a template may use; every name is always present (templates are strict)."""
    config = current_app.config
    base_url = str(config.get("BASE_URL", "")).rstrip("/")
    authority = str(config.get("OVERSIGHT_AUTHORITY_NAME") or "KASN")
    context: dict[str, Any] = {
        "kind": kind,
        "recipient": "",
        "base_url": base_url,
        "authority": authority,
        "case": None,
        "agency": None,
        "recommendation": None,
        "record": None,
        "tz_abbr": "WIB",
        "link": base_url + "/",
        "show_due": kind in CLOCK_KINDS,
        "ppk": "PPK",
        "escalation_to": "",
        "rec_letter": "",
        "letter_link": "",
        "sanction": "",
    }
    if case is not None:
        _add_case(context, case, base_url=base_url)
    context["authority_profile"] = _authority_profile(context, case)
    _add_event(context, extra)
    context["level3"] = _level3(context, extra)
    if kind in RECORD_KINDS and context["agency"] is not None:
        given = extra.get("record")
        context["record"] = dict(given) if isinstance(given, Mapping) else _agency_record(context["agency"]["id"])
    return context


def _authority_profile(context: dict[str, Any], case: Any | None) -> dict[str, Any]:
    """What the email says of the authority: the one that issued the case's recommendation, as it was on the
    day of issue (app/agencies/authority.py), else the one in force today."""
    recommendation = _recommendation_of(case) if case is not None else None
    if recommendation is not None and recommendation.issued_at is not None:
        day = recommendation.issued_at.astimezone(ZoneInfo(context.get("tz_name", "Asia/Jakarta"))).date()
        return profile_for(recommendation.authority_name, day).as_context()
    return profile_for(None, utcnow().date()).as_context()


def _add_case(context: dict[str, Any], case: Any, *, base_url: str) -> None:
    agency = _loaded(case, "agency") or db.session.get(Agency, case.agency_id)
    tz_name = agency.timezone if agency is not None else "Asia/Jakarta"
    context["tz_name"] = tz_name
    context["tz_abbr"] = tz_abbreviation(tz_name)
    context["link"] = f"{base_url}/cases/{case.id}"
    subcategory = NEUTRALITY_SUBCATEGORIES.get(case.subcategory or "", case.subcategory or "")
    context["case"] = {
        "id": case.id,
        "number": case.number,
        "reported_name": case.reported_name,
        "reported_position": case.reported_position or "",
        "category": _label(CATEGORY_LABELS, case.category),
        "subcategory": subcategory,
        "occurred_on": format_day(case.occurred_on),
    }
    if agency is not None:
        context["agency"] = {
            "id": agency.id,
            "name": agency.name,
            "kind": _label(AGENCY_KIND_LABELS, agency.kind),
            "ppk_title": agency.ppk_title or "Pejabat Pembina Kepegawaian",
        }
        context["ppk"] = f"{context['agency']['ppk_title']} {agency.name}".strip()
        context["routed_body"] = routed_body(agency)
        context["escalation_to"] = _TARGET_LABELS.get(context["routed_body"], "")
    recommendation = _recommendation_of(case)
    if recommendation is not None:
        if recommendation.authority_name:
            context["authority"] = recommendation.authority_name
        context["recommendation"] = {
            "sanction": _sanction_label(recommendation.sanction),
            "sanction_form": SANCTION_FORMS.get(recommendation.sanction_form or "", recommendation.sanction_form or ""),
            "letter_number": recommendation.letter_number or "",
            "issued_at": _instant(recommendation.issued_at, tz_name),
            "issued_on": _day_in_zone(recommendation.issued_at, tz_name),
            "acknowledged_at": _instant(recommendation.acknowledged_at, tz_name),
            "working_days": recommendation.working_days,
            "due_at_raw": recommendation.due_at,
            "escalation_level": recommendation.escalation_level,
        }
        context["rec_letter"] = recommendation.letter_number or ""
        if recommendation.issued_at is not None:  # the case page's letter (app/cases/pages.py case_letter; sign-in)
            context["letter_link"] = f"{base_url}/cases/{case.id}/letters/recommendation.pdf"
        context["sanction"] = context["recommendation"]["sanction"]


def _level3(context: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """What the level-3 escalation (its email and its letter) says, from the row of the authority that issued the
    recommendation: to whom (`addressee`), whom it copies (`copies`: the level-2 ministry first, then the copies
    the row names, then the officials of the other `cc` rules, each once and never the addressee), what it asks
    (`request`, `actions`), on which legal basis (`basis`), and who signs (`signer`, `authority`, `signature`)."""
    profile = context["authority_profile"]
    rules = [str(rule) for rule in (extra.get("cc_rules") or profile["level3_cc"] or DEFAULT_LEVEL3_CC)]
    body = str(extra.get("body") or context.get("routed_body") or "")
    titles = {**OFFICIAL_TITLES, "ministry": OFFICIAL_TITLES.get(body, ""), "ppk": context["ppk"]}
    titles["authority"] = profile["head_title"]
    names = [titles["ministry"]] if "ministry" in rules else []
    names += profile["level3_copies"]
    names += [titles.get(rule, "") for rule in rules if rule != "ministry"]
    addressee = profile["level3_addressee"]
    copies = [name for name in dict.fromkeys(names) if name and name != addressee]
    return {
        "addressee": addressee,
        "copies": copies,
        "request": profile["level3_request"],
        "actions": list(profile["level3_actions"]),
        "basis": profile["level3_basis"],
        "signer": profile["signer_title"],
        "authority": profile["name"],
        # the signature's lines: the signing official, and the body when the title does not name it
        "signature": [profile["signer_title"]]
        + ([] if profile["name"] in profile["signer_title"] else [profile["name"]]),
    }


def _recommendation_of(case: Any) -> Any | None:
    """The case's recommendation, loaded or queried (the relationship is lazy="raise")."""
    state = inspect(case, raiseerr=False)
    if state is None:
        return getattr(case, "recommendation", None)
    if "recommendation" in state.dict:
        return state.dict["recommendation"]
    if case.id is None:
        return None
    return db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))


def _loaded(case: Any, name: str) -> Any | None:
    """A relationship of `case` as already loaded (the sweep joins them), else None: never a lazy load."""
    state = inspect(case, raiseerr=False)
    return state.dict.get(name) if state is not None else None


def _add_event(context: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """The event's values (payload of the transition, level of the sweep), normalised for the templates."""
    tz_name = context.get("tz_name", "Asia/Jakarta")
    recommendation = context["recommendation"] or {}
    due_at = _as_instant(extra.get("due_at")) or recommendation.get("due_at_raw")
    previous_due = _as_instant(extra.get("previous_due_at"))
    body = extra.get("body")
    level = _as_int(extra.get("level"))
    context.update(
        {
            "extra": dict(extra),
            "due_at": _instant(due_at, tz_name),
            "due_on": _day_in_zone(due_at, tz_name),
            "previous_due_at": _instant(previous_due, tz_name) if previous_due else "",
            "days_late": _as_int(extra.get("days_late")),
            "days_left": _as_int(extra.get("days_left")),
            "level": level,
            "level_label": LEVEL_LABELS.get(level, "") if level is not None else "",
            "body": body or "",
            "body_label": _TARGET_LABELS.get(str(body), str(body or "")),
            "reason": _text(extra.get("reason")),
            "letter_number": _text(extra.get("letter_number")),
            # the number of the escalation letter this email goes with (the register's, app/letters/numbering.py)
            "escalation_letter": _text(extra.get("escalation_letter")),
            # reached earlier because the PPK in office is a candidate in the case's election (the sweep says so)
            "incumbent": _incumbent(extra.get("incumbent"), extra.get("early_candidacy_id")),
            "decision_number": _text(extra.get("decision_number")),
            "decision_date": _day(extra.get("decision_date")),
            "sanction_imposed": _sanction_label(extra.get("sanction_imposed")),
            "is_lighter": bool(extra.get("is_lighter")),
            "is_late": bool(extra.get("is_late")),
            "note": _text(extra.get("note")),
            "outcome": _text(extra.get("outcome")),
            "outcome_label": OUTCOME_LABELS.get(str(extra.get("outcome") or ""), ""),
            "revised_sanction": _sanction_label(extra.get("sanction")),
            "extension_days": _as_int(extra.get("working_days")),
            "received_on": _day(extra.get("received_on") or extra.get("receipt_date")),
        }
    )
    if context["outcome"] == "revised" and not context["revised_sanction"]:
        context["revised_sanction"] = context["sanction"]
    if due_at is not None and (context["days_late"] is None or context["days_left"] is None):
        _add_computed_days(context, due_at)


def _incumbent(value: Any, candidacy_id: Any = None) -> dict[str, Any] | None:
    """Why the level came earlier: the PPK in office (app/models/people.py `Incumbency.as_dict`, or the candidacy an
    escalation step names, for its letter) is a candidate in the case's election. `reason` is the sentence the
    email and the letter say."""
    if value is None and isinstance(candidacy_id, int):
        found = candidacy_incumbency(candidacy_id)
        value = found.as_dict() if found is not None else None
    if not isinstance(value, Mapping) or not value.get("holder_name"):
        return None
    holder = " ".join(str(part) for part in (value.get("holder_title"), value.get("holder_name")) if part)
    election = str(value.get("election_name") or "")
    since = _day(value.get("since"))
    reason = (
        f"Perkara ini dieskalasi lebih awal karena Pejabat Pembina Kepegawaian yang sedang menjabat, {holder}, "
        f"mencalonkan diri dalam {election}{' sejak ' + since if since else ''}; perkara netralitas ASN dalam "
        "pemilihan tersebut menyangkut kepentingan PPK sendiri."
    )
    return {**value, "holder": holder, "election": election, "since_text": since, "reason": reason}


def _add_computed_days(context: dict[str, Any], due_at: datetime) -> None:
    """Working days left before / late after the due instant, from the working-day calendar."""
    agency_id = context["agency"]["id"] if context["agency"] else None
    now = utcnow()
    try:
        if now <= due_at and context["days_left"] is None:
            context["days_left"] = int(working_days_between(now, due_at, agency_id=agency_id))
        elif now > due_at and context["days_late"] is None:
            context["days_late"] = int(working_days_between(due_at, now, agency_id=agency_id))
    except SQLAlchemyError:
        # The database failed: the event's transaction is lost whatever happens here, and swallowing the error
        # would leave the session invalid, so that the next statement fails as a 500 instead of a 503.
        raise
    except Exception:  # noqa: BLE001 - an email must not fail its event over a courtesy figure
        log.warning("working days for the email could not be computed", exc_info=True)


def agency_records(agency_ids: set[int] | list[int], now: datetime | None = None) -> dict[int, dict[str, int]]:
    """The PPK's record shown in escalation letters, for several agencies in one query: recommendations
    received, followed up, and still open past their due time."""
    ids = sorted(set(agency_ids))
    now = now or utcnow()
    records = {agency_id: {"received": 0, "followed_up": 0, "open_overdue": 0} for agency_id in ids}
    if not ids:
        return records
    # One table: each recommendation carries its case's agency (kept equal by the database), and the covering
    # index (agency_id, issued_at, is_open, due_at, followed_up_at) answers without reading the rows.
    late = Recommendation.is_overdue(now)
    stmt = (
        select(
            Recommendation.agency_id,
            func.count(),
            func.count(Recommendation.followed_up_at),
            func.count().filter(late),
        )
        .where(Recommendation.agency_id.in_(ids), Recommendation.issued_at.is_not(None))
        .group_by(Recommendation.agency_id)
    )
    for agency_id, received, followed_up, open_overdue in db.session.execute(stmt):
        records[agency_id] = {"received": received, "followed_up": followed_up, "open_overdue": open_overdue}
    return records


def _agency_record(agency_id: int) -> dict[str, int]:
    return agency_records([agency_id])[agency_id]


def _sanction_label(value: Any) -> str:
    if not value:
        return ""
    return _label(SANCTION_LABELS, str(value))


def _label(labels: Mapping[Any, str], value: str) -> str:
    """The Indonesian label of a vocabulary value (the value itself when it has none)."""
    return labels.get(value, value)


def _as_instant(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _as_int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _instant(value: datetime | None, tz_name: str) -> str:
    return format_instant(value, tz_name) if value is not None else ""


def _day_in_zone(value: datetime | None, tz_name: str) -> str:
    return format_instant(value, tz_name, with_time=False) if value is not None else ""


def _day(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return format_day(value.date())
    if isinstance(value, date):
        return format_day(value)
    try:
        return format_day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return _text(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
