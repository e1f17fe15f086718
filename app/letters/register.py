"""The letters of a case, where their readers find them: the recommendation letter once it is issued, and the
escalation letters of the levels the case reached (2: to the ministry, 3: the final report), each with its number,
date and signing official, rendered as PDF on demand (app/letters/documents.py).

Who may read them is who may see the case (`app.cases.access.get_case_for`, checked by the page before it asks
here): the authority's staff, the PPK of the case's agency (which sees a case from its issue on: the letters are
addressed to it or copy it) and the ministry's overseer once the case is escalated to it (the letters of level 2
and 3 are addressed to it or copy it). The reporter is in none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.agencies.authority import profile_for
from app.db import db
from app.errors import NotFound
from app.letters.documents import escalation_letter_number, render_escalation_letter, render_recommendation_letter
from app.letters.numbering import signer_for
from app.models.agencies import Agency
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.models.letters import IssuedLetter

RECOMMENDATION = "recommendation"
ESCALATION_KEYS = {2: "escalation-2", 3: "escalation-3"}


def N_(text: str) -> str:
    """Marks a text for the message catalogue; it is translated where it is shown (the case page)."""
    return text


# What a reader calls each letter.
LETTER_TITLES = {
    RECOMMENDATION: N_("Surat rekomendasi"),
    "escalation-2": N_("Surat eskalasi ke kementerian (tingkat 2)"),
    "escalation-3": N_("Laporan akhir (eskalasi tingkat 3)"),
}


@dataclass(frozen=True)
class CaseLetter:
    key: str
    title: str
    number: str
    dated: datetime
    signer_title: str
    signer_name: str | None
    filename: str
    body: str | None = None  # the ministry an escalation letter goes to


def _filename(case: Case, key: str) -> str:
    return f"{case.number}-{'rekomendasi' if key == RECOMMENDATION else key.replace('escalation', 'eskalasi')}.pdf"


def case_letters(case: Case) -> list[CaseLetter]:
    """The case's letters in the order they were written (none before the recommendation is issued)."""
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    if rec is None or rec.issued_at is None:
        return []
    agency = db.session.get(Agency, case.agency_id)
    day = rec.issued_at.astimezone(ZoneInfo(agency.timezone if agency else "Asia/Jakarta")).date()
    profile = profile_for(rec.authority_name, day)
    issued = db.session.scalar(
        select(IssuedLetter).where(IssuedLetter.case_id == case.id, IssuedLetter.kind == RECOMMENDATION)
    )
    # Letters issued before the register (imported, or before migration 0009) name the authority's official.
    signer = signer_for(profile)
    title, name = (issued.signer_title, issued.signer_name) if issued is not None else (signer.title, signer.name)
    letters = [
        CaseLetter(
            RECOMMENDATION,
            LETTER_TITLES[RECOMMENDATION],
            rec.letter_number or "-",
            rec.issued_at,
            title,
            name,
            _filename(case, RECOMMENDATION),
        )
    ]
    for level, key in ESCALATION_KEYS.items():
        step = db.session.scalar(
            select(EscalationStep)
            .where(EscalationStep.case_id == case.id, EscalationStep.level == level)
            .order_by(EscalationStep.cycle.desc())
            .limit(1)
        )
        if step is not None:
            letters.append(
                CaseLetter(
                    key,
                    LETTER_TITLES[key],
                    escalation_letter_number(case, level),
                    step.reached_at,
                    signer.title,
                    signer.name,
                    _filename(case, key),
                    step.body,
                )
            )
    return letters


def letter_pdf(case: Case, key: str) -> tuple[bytes, str]:
    """The PDF of the case's letter `key` and its file name; NotFound when the case has no such letter."""
    letter = next((item for item in case_letters(case) if item.key == key), None)
    if letter is None:
        raise NotFound("Surat tidak ditemukan.")
    if key == RECOMMENDATION:
        return render_recommendation_letter(case), letter.filename
    level = next(level for level, name in ESCALATION_KEYS.items() if name == key)
    return render_escalation_letter(case, level, body=letter.body), letter.filename
