"""The three documents, filled from the case and from the email context of the same event."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.agencies.services import routed_body
from app.calendar.working_days import DEFAULT_TIMEZONE, local_date, working_days_between
from app.core.clock import utcnow
from app.core.nip import InvalidNIP, parse_nip
from app.core.states import STATUS_LABELS, CaseStatus
from app.core.vocab import (
    AGENCY_KIND_LABELS,
    CATEGORY_LABELS,
    NEUTRALITY_SUBCATEGORIES,
    REGIONAL_KINDS,
    SANCTION_FORMS,
    SANCTION_LABELS,
    SOURCE_LABELS,
    AgencyKind,
    Category,
    Sanction,
    Source,
)
from app.db import db
from app.i18n import format_day, format_instant
from app.letters.context import build_context
from app.letters.layout import Letter, Letterhead, Report, render_letter
from app.letters.numbering import letter_number_of
from app.models.agencies import Agency
from app.models.cases import Attachment, Case, CaseHistory, Recommendation, case_records
from app.models.escalations import EscalationStep
from app.models.letters import IssuedLetter
from app.models.outcomes import BLOCK_SCOPE_LABELS, DataBlock

# Full names of the oversight authorities we know, for the kop when no OversightAuthority row names it.
BODY_ADDRESSEES = {
    "menpanrb": "Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
    "kemendagri": "Menteri Dalam Negeri",
}
SUBJECT_RECOMMENDATION = "Rekomendasi atas Pelanggaran Nilai Dasar, Kode Etik, dan Kode Perilaku Pegawai ASN"
SUBJECT_ESCALATION = "Eskalasi Rekomendasi yang Belum Ditindaklanjuti oleh Pejabat Pembina Kepegawaian"
SUBJECT_FINAL = "Laporan Rekomendasi yang Tidak Ditindaklanjuti oleh Pejabat Pembina Kepegawaian"
CLOSING = "Demikian kami sampaikan. Atas perhatian dan kerja sama Saudara, kami ucapkan terima kasih."


# -- shared data ---------------------------------------------------------------------------------------------------


def _email_context(kind: str, case: Case, extra: dict[str, Any]) -> dict[str, Any]:
    return build_context(kind, case=case, extra=extra)


def _agency(case: Case) -> Agency:
    agency = db.session.get(Agency, case.agency_id)
    assert agency is not None
    return agency


def _recommendation(case: Case) -> Recommendation | None:
    return db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))


def _letterhead(profile: dict[str, Any]) -> Letterhead:
    """The letterhead of the authority that issued the recommendation (`authority_profile` of the email context:
    its row for the day of issue, app/agencies/authority.py)."""
    config = current_app.config
    return Letterhead(
        authority=profile["name"],
        address=str(profile.get("address") or config.get("LETTER_ADDRESS") or ""),
        city=str(config.get("LETTER_CITY") or "Jakarta"),
    )


def _signatory(profile: dict[str, Any]) -> tuple[str, str]:
    """The signing official: the authority's title for it, unless the deployment names one (LETTER_SIGNATORY_*)."""
    config = current_app.config
    title = config.get("LETTER_SIGNATORY_TITLE") or profile["signer_title"]
    return str(title), str(config.get("LETTER_SIGNATORY_NAME") or "")


def _nip(value: str) -> str:
    try:
        return parse_nip(value).formatted
    except InvalidNIP:
        return value


def _category(case: Case) -> str:
    text = CATEGORY_LABELS.get(Category(case.category), case.category)
    if case.subcategory:
        text += f" — {NEUTRALITY_SUBCATEGORIES.get(case.subcategory, case.subcategory)}"
    return text


def _sanction(value: str | None, form: str | None = None) -> str:
    if not value:
        return "-"
    text = SANCTION_LABELS.get(Sanction(value), value)
    if form:
        text += f" ({SANCTION_FORMS.get(form, form)})"
    return text


def _in_sentence(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != "PT" else text


def _local_day(instant: datetime | None, tz: str) -> date | None:
    return instant.astimezone(_zone(tz)).date() if instant is not None else None


def _zone(tz: str) -> Any:

    return ZoneInfo(tz)


def _person_rows(case: Case, agency: Agency) -> list[tuple[str, str]]:
    return [
        ("Nama", case.reported_name),
        ("NIP", _nip(case.reported_nip)),
        ("Jabatan", case.reported_position or "-"),
        ("Instansi", agency.name),
        ("Jenis pelanggaran", _category(case)),
        ("Tanggal kejadian", format_day(case.occurred_on)),
        ("Nomor perkara", case.number),
    ]


def _copies(agency: Agency, *extra: str) -> list[str]:
    copies = list(extra)
    if AgencyKind(agency.kind) in REGIONAL_KINDS:
        copies.append(BODY_ADDRESSEES["kemendagri"])
    else:
        copies.append(BODY_ADDRESSEES["menpanrb"])
    copies.append("Kepala Badan Kepegawaian Negara")
    copies += _governor(agency)
    return list(dict.fromkeys(c for c in copies if c))


def _governor(agency: Agency) -> list[str]:
    """The governor's office, copied on the letters about a kabupaten/kota."""
    if agency.kind in (AgencyKind.KABUPATEN, AgencyKind.KOTA) and agency.parent_id:
        parent = db.session.get(Agency, agency.parent_id)
        if parent is not None:
            return [f"{parent.ppk_title or 'Gubernur'} {parent.name.removeprefix('Provinsi ')}"]
    return []


def _level3_paragraphs(level3: dict[str, Any]) -> list[str]:
    """What the final report asks, as its issuing authority's row says: the request, the administrative actions
    (a., b., ...), and the legal basis."""
    paragraphs = [level3["request"]]
    paragraphs += [f"{chr(ord('a') + index)}. {action}" for index, action in enumerate(level3["actions"])]
    if level3["basis"]:
        paragraphs.append(f"Dasar hukum: {level3['basis']}")
    return paragraphs


# -- the recommendation letter -------------------------------------------------------------------------------------


def render_recommendation_letter(case: Case) -> bytes:
    """The recommendation letter to the PPK (what the `recommendation_issued` email announces), as PDF."""
    agency = _agency(case)
    rec = _recommendation(case)
    if rec is None:
        raise ValueError("the case has no recommendation")
    context = _email_context("recommendation_issued", case, {})
    issued_day = _local_day(rec.issued_at, agency.timezone)
    head = _letterhead(context["authority_profile"])
    title, name = _signatory(context["authority_profile"])
    issued = db.session.scalar(
        select(IssuedLetter).where(IssuedLetter.case_id == case.id, IssuedLetter.kind == "recommendation")
    )
    if issued is not None:  # who signs is what the register recorded when it was issued
        title, name = issued.signer_title, issued.signer_name or ""
    paragraphs = [
        f"Dengan hormat, berdasarkan hasil penelaahan dan klarifikasi atas laporan dugaan pelanggaran nilai dasar, "
        f"kode etik, dan kode perilaku pegawai ASN di lingkungan {agency.name}, {head.authority} menyimpulkan "
        f"bahwa pegawai berikut terbukti melakukan pelanggaran:",
        f"Uraian singkat: {case.summary}",
        f"Sehubungan dengan hal tersebut, {context['authority']} merekomendasikan kepada {context['ppk']} untuk "
        f"menjatuhkan {_in_sentence(_sanction(rec.sanction, rec.sanction_form))} kepada yang bersangkutan"
        + (f", sesuai dengan {rec.legal_basis}." if rec.legal_basis else "."),
    ]
    # The sentence above is the recommendation, from what the issuer approved (sanction, its form, legal basis),
    # as the email says it. The drafted text ("Isi rekomendasi") said it a second time right after it; it stays
    # on the case page and in the case summary.
    if context.get("due_at"):
        days = f" ({rec.working_days} hari kerja sejak rekomendasi diterima)" if rec.working_days else ""
        paragraphs.append(
            f"Rekomendasi ini wajib ditindaklanjuti paling lambat {context['due_at']}{days}, dengan menyampaikan "
            "keputusan (SK) penjatuhan sanksi beserta salinannya melalui aplikasi Tindak. Keberatan atas "
            "rekomendasi ini dapat disampaikan secara tertulis sebelum tenggat berakhir."
        )
    letter = Letter(
        letterhead=head,
        number=rec.letter_number or "(belum diterbitkan)",
        date_text=format_day(issued_day or local_date(utcnow(), DEFAULT_TIMEZONE)),
        subject=SUBJECT_RECOMMENDATION,
        addressee=[f"Yth. {context['ppk']}", "di", "    Tempat"],
        paragraphs=paragraphs,
        nature="Segera",
        attachment="-",
        details=_person_rows(case, agency),
        closing=[CLOSING],
        signatory_title=title,
        signatory_name=name,
        copies=_copies(agency),
    )
    return render_letter(letter)


# -- the escalation letters ----------------------------------------------------------------------------------------


def escalation_letter_number(case: Case, level: int) -> str:
    """The number an escalation letter carries: the register's, given from the authority's series when the sweep
    reached the level (app/letters/numbering.py); a level recorded before the register numbered escalation letters
    (migration 0020, or imported) carries the case's number and the level."""
    return letter_number_of(case.id, level) or f"{case.number}/ESK-{level}"


def render_escalation_letter(
    case: Case, level: int = 2, *, body: str | None = None, now: datetime | None = None
) -> bytes:
    """The escalation letter of `level` 2 (to Menpan-RB or Kemendagri) or 3 (final report), as PDF.

    Filled from the context of the `escalation` / `final_report` email with the same level and body.
    """
    if level not in (2, 3):
        raise ValueError("escalation letters exist for levels 2 and 3")

    agency = _agency(case)
    rec = _recommendation(case)
    if rec is None or rec.issued_at is None:
        raise ValueError("the case has no issued recommendation")
    body = body or routed_body(agency)
    step = db.session.scalar(
        select(EscalationStep)
        .where(EscalationStep.case_id == case.id, EscalationStep.level == level)
        .order_by(EscalationStep.cycle.desc())
        .limit(1)
    )
    kind = "escalation" if level == 2 else "final_report"
    when = step.reached_at if step is not None else (now or utcnow())
    extra: dict[str, Any] = {"level": level, "body": body, "early_candidacy_id": step and step.early_candidacy_id}
    if rec.is_past_due(when):
        # counted to the letter's date, not to today: the letter says what was true when it was written
        due_day, letter_day = _local_day(rec.due_at, agency.timezone), _local_day(when, agency.timezone)
        assert due_day is not None and letter_day is not None
        extra["days_late"] = working_days_between(due_day, letter_day, agency.id)
    context = _email_context(kind, case, extra)
    profile = context["authority_profile"]
    head = _letterhead(profile)
    title, name = _signatory(profile)
    issued = f" tanggal {context['recommendation']['issued_on']}" if context.get("recommendation") else ""
    late = (
        f"; keterlambatan hingga surat ini dibuat {context['days_late']} hari kerja" if context.get("days_late") else ""
    )
    paragraphs = [
        f"Dengan hormat, kami sampaikan bahwa rekomendasi {context['authority']} nomor {rec.letter_number or '-'}"
        f"{issued} kepada {context['ppk']} atas pelanggaran oleh pegawai berikut belum ditindaklanjuti:",
        f"Sanksi yang direkomendasikan: {_sanction(rec.sanction, rec.sanction_form)}. Tenggat tindak lanjut "
        f"berakhir pada {context.get('due_at') or '-'}{late}.",
    ]
    paragraphs += [context["incumbent"]["reason"]] if context["incumbent"] else []
    record = context.get("record") or {}
    if record:
        paragraphs.append(
            f"Rekam jejak PPK: {record['received']} rekomendasi diterima instansi, {record['followed_up']} telah "
            f"ditindaklanjuti, {record['open_overdue']} terlambat dan belum ditindaklanjuti."
        )
    if level == 2:
        addressee_name = BODY_ADDRESSEES.get(body, context.get("body_label") or "Kementerian pengawas")
        paragraphs.append(
            f"Sesuai ketentuan, kami mohon {addressee_name} mengambil langkah pembinaan terhadap Pejabat Pembina "
            "Kepegawaian agar rekomendasi tersebut segera ditindaklanjuti."
        )
        copies = _copies(agency, f"{context['ppk']}", profile["head_title"])
        subject = SUBJECT_ESCALATION
    else:
        # What level 3 asks for, of whom, on which basis, and whom it copies are the issuing authority's own (its
        # row: its powers under its law), the same as its email says (context `level3`).
        level3 = context["level3"]
        addressee_name = level3["addressee"]
        paragraphs += _level3_paragraphs(level3)
        copies = list(dict.fromkeys([*level3["copies"], context["ppk"], *_governor(agency)]))
        subject = SUBJECT_FINAL
    letter = Letter(
        letterhead=head,
        number=escalation_letter_number(case, level),
        date_text=format_day(_local_day(when, agency.timezone)),
        subject=subject,
        addressee=[f"Yth. {addressee_name}", "di", "    Jakarta"],
        paragraphs=paragraphs,
        nature="Segera",
        attachment="1 (satu) berkas rekomendasi",
        details=_person_rows(case, agency),
        closing=[CLOSING],
        signatory_title=title,
        signatory_name=name,
        copies=[c for c in copies if c],
    )
    return render_letter(letter)


# -- the case summary ----------------------------------------------------------------------------------------------


def _case_rows(case: Case, agency: Agency, tz: str) -> list[tuple[str, str]]:
    rows = [
        ("Nomor perkara", case.number),
        ("Status", STATUS_LABELS.get(CaseStatus(case.status), case.status)),
        ("Instansi", f"{agency.name} ({AGENCY_KIND_LABELS.get(AgencyKind(agency.kind), agency.kind)})"),
        ("Jenis pelanggaran", _category(case)),
        ("Sumber laporan", SOURCE_LABELS.get(Source(case.source), case.source)),
        ("Tanggal kejadian", format_day(case.occurred_on)),
        ("Dicatat", format_instant(case.created_at, tz)),
    ]
    if case.external_ref:
        rows.append(("Referensi asal", case.external_ref))
    if case.dismiss_reason:
        rows.append(("Alasan dihentikan", case.dismiss_reason))
    if case.close_reason:
        rows.append(("Alasan ditutup", case.close_reason))
    return rows


def _recommendation_section(report: Report, rec: Recommendation | None, tz: str) -> None:
    report.heading("D. Rekomendasi")
    if rec is None:
        report.paragraph("Belum ada rekomendasi.", size=10)
    else:
        report.fields(
            [
                ("Sanksi", _sanction(rec.sanction, rec.sanction_form)),
                ("Dasar hukum", rec.legal_basis or "-"),
                ("Nomor surat", rec.letter_number or "-"),
                ("Diterbitkan", format_instant(rec.issued_at, tz) if rec.issued_at else "-"),
                ("Diterima PPK", format_day(rec.received_on) if rec.received_on else "-"),
                ("Tenggat", format_instant(rec.due_at, tz) if rec.due_at else "-"),
                ("Tingkat eskalasi", "-" if rec.escalation_level is None else str(rec.escalation_level)),
            ],
            size=10,
        )
        if rec.text:
            report.paragraph(rec.text, size=10)


def render_case_summary(
    case: Case,
    *,
    include_reporter: bool = False,
    attachments: list[Attachment] | None = None,
    history: list[CaseHistory] | None = None,
) -> bytes:
    """The case file's summary (for a court, a ministry or the archive) with its timeline, as PDF.

    The reporter's identity is printed only with `include_reporter=True` (KASN use); `attachments` and
    `history` default to all of the case's.
    """
    agency = _agency(case)
    tz = agency.timezone
    rec = _recommendation(case)
    follow_ups, clarifications, steps = case_records(case)
    if attachments is None:
        attachments = list(
            db.session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id))
        )
    if history is None:
        history = list(
            db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id).order_by(CaseHistory.seq))
        )
    head = _letterhead(_email_context("mail_test", case, {})["authority_profile"])
    report = Report(
        f"Ringkasan Perkara {case.number}", head, footer_text=f"{case.number} — dibuat {format_instant(utcnow(), tz)}"
    )

    report.heading("A. Perkara")
    rows = _case_rows(case, agency, tz)
    report.fields(rows, size=10)
    report.heading("B. Terlapor")
    report.fields([("Nama", case.reported_name), ("NIP", _nip(case.reported_nip)),
                   ("Jabatan", case.reported_position or "-")], size=10)  # fmt: skip
    if include_reporter:
        report.heading("Pelapor (RAHASIA — hanya untuk lembaga pengawas)")
        report.fields([("Nama", case.reporter_name or "-"), ("Kontak", case.reporter_contact or "-")], size=10)
    report.heading("C. Uraian")
    report.paragraph(case.summary, size=10)

    _recommendation_section(report, rec, tz)
    if clarifications:
        report.heading("E. Sanggahan / klarifikasi PPK")
        report.table_rows(
            ["Nomor surat", "Diajukan", "Alasan", "Hasil", "Surat balasan"],
            [
                [
                    c.letter_number,
                    format_instant(c.requested_at, tz),
                    c.reason,
                    c.outcome or "-",
                    c.reply_letter_number or "-",
                ]
                for c in clarifications
            ],  # fmt: skip
            (28, 30, 52, 20, 30),
        )
    report.heading("F. Tindak lanjut PPK")
    if not follow_ups:
        report.paragraph("Belum ada tindak lanjut yang dilaporkan.", size=10)
    else:
        report.table_rows(
            ["Nomor SK", "Tanggal SK", "Sanksi dijatuhkan", "Dilaporkan", "Catatan", "Putusan"],
            [
                [
                    f.decision_number,
                    format_day(f.decision_date),
                    _sanction(f.sanction_imposed, f.sanction_form) + (" (lebih ringan)" if f.is_lighter else ""),
                    format_instant(f.reported_at, tz) + (" (terlambat)" if f.is_late else ""),
                    f.note or "-",
                    {"accepted": "diterima", "rejected": "ditolak"}.get(f.verdict or "", "-"),
                ]
                for f in follow_ups
            ],  # fmt: skip
            (26, 20, 36, 30, 28, 20),
        )
    if steps:
        report.heading("G. Eskalasi")
        report.table_rows(
            ["Siklus", "Tingkat", "Dicapai", "Kepada", "Selesai"],
            [
                [
                    str(s.cycle),
                    str(s.level),
                    format_instant(s.reached_at, tz),
                    s.body or "-",
                    format_instant(s.resolved_at, tz) if s.resolved_at else "-",
                ]
                for s in steps
            ],  # fmt: skip
            (16, 16, 50, 38, 40),
        )
    blocks = list(db.session.scalars(select(DataBlock).where(DataBlock.case_id == case.id).order_by(DataBlock.id)))
    if blocks:
        # What the authority asked BKN to block, and when it was lifted (app/cases/outcomes.py); no internal notes.
        report.heading("G2. Pemblokiran data/layanan kepegawaian (SIASN)")
        report.table_rows(
            ["Yang diblokir", "Diminta", "Nomor surat", "Dibuka", "Surat pembukaan"],
            [
                [
                    BLOCK_SCOPE_LABELS.get(b.scope, b.scope),
                    f"{format_instant(b.requested_at, tz)} ({b.authority})",
                    b.reference,
                    format_instant(b.lifted_at, tz) if b.lifted_at else "masih berlaku",
                    b.lift_reference or "-",
                ]
                for b in blocks
            ],  # fmt: skip
            (30, 36, 32, 32, 30),
        )
    report.heading("H. Berkas bukti")
    if not attachments:
        report.paragraph("Tidak ada berkas.", size=10)
    else:
        report.table_rows(
            ["No.", "Nama berkas", "Jenis", "Ukuran", "SHA-256"],
            [[str(a.id), a.filename, a.purpose, f"{a.size:,}".replace(",", "."), a.sha256] for a in attachments],
            (10, 45, 20, 18, 67),
            size=7.5,
        )
    report.heading("I. Riwayat")
    report.table_rows(
        ["No.", "Waktu", "Peristiwa", "Status", "Oleh", "Hash"],
        [
            [
                str(h.seq),
                format_instant(h.created_at, tz),
                h.event,
                f"{h.from_status or '-'} → {h.to_status}",
                h.actor_label,
                h.hash[:16],
            ]
            for h in history
        ],  # fmt: skip
        (10, 32, 30, 38, 30, 20),
        size=7.5,
    )
    report.paragraph(
        "Setiap baris riwayat memuat hash SHA-256 atas isinya dan hash baris sebelumnya; rantai lengkap ada di "
        "riwayat.json dalam berkas bundel dan dapat diperiksa ulang oleh siapa pun.",
        size=8,
    )
    return report.bytes()
