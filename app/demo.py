"""`flask demo load` (idempotent demo users and ~60 realistic cases in every state) and `flask demo logins`.

Cases are built through the real workflow with back-dated clocks, across the 16 agencies of the 2021 IM-NKK
pilot (DOMAIN §3), then one escalation sweep brings the overdue ones to their level.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import click
from sqlalchemy import select, update

from app.auth.services import hash_password
from app.cases.services import create_case
from app.core.clock import utcnow
from app.core.states import CaseEvent, CaseStatus
from app.db import db, unit_of_work
from app.escalations.sweep import run_sweep
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case
from workflows import fire

DEMO_PASSWORD = "tindak-demo-2026"  # noqa: S105 - printed on purpose: demo accounts only
PILOT_AGENCIES = [
    ("KEMENAG", "Kementerian Agama", "kementerian", "Asia/Jakarta", "Menteri Agama"),
    (
        "ATRBPN",
        "Kementerian Agraria dan Tata Ruang/Badan Pertanahan Nasional",
        "kementerian",
        "Asia/Jakarta",
        "Menteri ATR/Kepala BPN",
    ),
    ("KEMENKEU", "Kementerian Keuangan", "kementerian", "Asia/Jakarta", "Menteri Keuangan"),
    ("KEMENHUB", "Kementerian Perhubungan", "kementerian", "Asia/Jakarta", "Menteri Perhubungan"),
    ("BPOM", "Badan Pengawas Obat dan Makanan", "lembaga", "Asia/Jakarta", "Kepala BPOM"),
    ("BSSN", "Badan Siber dan Sandi Negara", "lembaga", "Asia/Jakarta", "Kepala BSSN"),
    ("ANRI", "Arsip Nasional Republik Indonesia", "lembaga", "Asia/Jakarta", "Kepala ANRI"),
    ("BRIN", "Badan Riset dan Inovasi Nasional", "lembaga", "Asia/Jakarta", "Kepala BRIN"),
    ("PROV-11", "Provinsi Aceh", "provinsi", "Asia/Jakarta", "Gubernur"),
    ("PROV-32", "Provinsi Jawa Barat", "provinsi", "Asia/Jakarta", "Gubernur"),
    ("PROV-34", "Provinsi Daerah Istimewa Yogyakarta", "provinsi", "Asia/Jakarta", "Gubernur"),
    ("PROV-51", "Provinsi Bali", "provinsi", "Asia/Makassar", "Gubernur"),
    ("PROV-31", "Provinsi DKI Jakarta", "provinsi", "Asia/Jakarta", "Gubernur"),
    ("PROV-14", "Provinsi Riau", "provinsi", "Asia/Jakarta", "Gubernur"),
    ("PROV-19", "Provinsi Kepulauan Bangka Belitung", "provinsi", "Asia/Jakarta", "Gubernur"),
    ("PROV-82", "Provinsi Maluku Utara", "provinsi", "Asia/Jayapura", "Gubernur"),
]
DEMO_USERS = [
    ("admin@tindak.demo", "Admin Sistem", "admin", None, None),
    ("penyelidik@tindak.demo", "Rina Wulandari (Penyelidik)", "investigator", None, None),
    ("penyelidik2@tindak.demo", "Agus Prasetyo (Penyelidik)", "investigator", None, None),
    ("komisioner@tindak.demo", "Dr. Hendra Gunawan (Komisioner)", "commissioner", None, None),
    ("komisioner2@tindak.demo", "Dra. Lestari Ningsih (Komisioner)", "commissioner", None, None),
    ("ppk.kemenag@tindak.demo", "Biro Kepegawaian Kemenag", "ppk", "KEMENAG", None),
    ("ppk.jabar@tindak.demo", "BKD Provinsi Jawa Barat", "ppk", "PROV-32", None),
    ("ppk.bali@tindak.demo", "BKD Provinsi Bali", "ppk", "PROV-51", None),
    ("ppk.malut@tindak.demo", "BKD Provinsi Maluku Utara", "ppk", "PROV-82", None),
    ("menpanrb@tindak.demo", "Deputi SDM Aparatur KemenPAN-RB", "overseer", None, "menpanrb"),
    ("kemendagri@tindak.demo", "Ditjen Otonomi Daerah Kemendagri", "overseer", None, "kemendagri"),
]
FIRST = [
    "Budi",
    "Siti",
    "Agus",
    "Dewi",
    "Rudi",
    "Sri",
    "Andi",
    "Nur",
    "Eko",
    "Wahyu",
    "Hadi",
    "Yuni",
    "Bambang",
    "Ratna",
    "Joko",
    "Fitri",
    "Dedi",
    "Maya",
]
LAST = [
    "Santoso",
    "Rahayu",
    "Hidayat",
    "Lestari",
    "Saputra",
    "Wijaya",
    "Kurniawan",
    "Pratama",
    "Nugroho",
    "Sari",
    "Setiawan",
    "Susanti",
]
POSITIONS = [
    "Kepala Seksi",
    "Analis Kepegawaian",
    "Camat",
    "Lurah",
    "Kepala Bidang",
    "Pengawas Sekolah",
    "Penyuluh Agama",
    "Pranata Komputer",
    "Kepala Dinas",
    "Auditor",
]
SUMMARIES = {
    "netralitas": [
        ("kampanye_medsos", "Mengunggah ajakan memilih bakal calon kepala daerah di akun media sosial pribadi."),
        ("foto_bersama_simbol", "Berfoto bersama pasangan calon dengan simbol jari saat deklarasi."),
        ("menghadiri_deklarasi", "Menghadiri deklarasi pasangan calon pada jam kerja dengan seragam dinas."),
        ("kegiatan_keberpihakan", "Membagikan bahan kampanye kepada bawahan di lingkungan kantor."),
        ("pendekatan_parpol", "Mendaftar sebagai bakal calon pada penjaringan partai politik."),
    ],
    "perbuatan_tidak_menyenangkan": [(None, "Mengeluarkan kata-kata kasar kepada rekan kerja di depan umum.")],
    "masalah_rumah_tangga": [(None, "Diduga menikah lagi tanpa izin pejabat yang berwenang.")],
    "perbuatan_sewenang_wenang": [(None, "Memindahkan staf tanpa prosedur sebagai balasan atas kritik.")],
    "kode_etik_lainnya": [(None, "Menggunakan fasilitas dinas untuk kepentingan usaha pribadi.")],
}
SOURCES = ["bawaslu", "public", "media", "monitoring", "agency"]
PLAN: list[tuple[CaseStatus, int]] = [
    (CaseStatus.REPORTED, 6),
    (CaseStatus.UNDER_REVIEW, 6),
    (CaseStatus.DISMISSED, 4),
    (CaseStatus.RECOMMENDATION_DRAFTED, 6),
    (CaseStatus.AWAITING_FOLLOW_UP, 14),
    (CaseStatus.CLARIFICATION_REQUESTED, 4),
    (CaseStatus.FOLLOW_UP_REPORTED, 6),
    (CaseStatus.COMPLETED, 10),
    (CaseStatus.CLOSED, 4),
]
E = CaseEvent


def _nip(rng: random.Random) -> str:
    birth = date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28))
    tmt_year = min(birth.year + rng.randint(22, 30), 2022)
    return f"{birth:%Y%m%d}{tmt_year}{rng.randint(1, 12):02d}{rng.randint(1, 2)}{rng.randint(1, 999):03d}"


def ensure_agencies() -> dict[str, Agency]:
    found = {
        a.code: a for a in db.session.scalars(select(Agency).where(Agency.code.in_([p[0] for p in PILOT_AGENCIES])))
    }
    for code, name, kind, tz, title in PILOT_AGENCIES:
        if code not in found:
            found[code] = Agency(code=code, name=name, kind=kind, timezone=tz, ppk_title=title, source="demo")
            db.session.add(found[code])
    for code, agency in found.items():
        if not agency.ppk_email:
            agency.ppk_email = f"ppk.{code.lower()}@instansi.demo"
    db.session.flush()
    return found


def ensure_users(agencies: dict[str, Agency]) -> dict[str, User]:
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_([d[0] for d in DEMO_USERS])))}
    password_hash = None
    for email, name, role, agency_code, body in DEMO_USERS:
        if email in users:
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        users[email] = User(
            email=email,
            name=name,
            role=role,
            password_hash=password_hash,
            agency_id=agencies[agency_code].id if agency_code else None,
            body=body,
        )
        db.session.add(users[email])
    db.session.flush()
    return users


PATHS = {
    CaseStatus.REPORTED: [],
    CaseStatus.UNDER_REVIEW: [E.START_REVIEW],
    CaseStatus.DISMISSED: [E.START_REVIEW, E.DISMISS],
    CaseStatus.RECOMMENDATION_DRAFTED: [E.START_REVIEW, E.DRAFT_RECOMMENDATION],
    CaseStatus.AWAITING_FOLLOW_UP: [E.START_REVIEW, E.DRAFT_RECOMMENDATION, E.ISSUE_RECOMMENDATION],
    CaseStatus.CLARIFICATION_REQUESTED: [
        E.START_REVIEW,
        E.DRAFT_RECOMMENDATION,
        E.ISSUE_RECOMMENDATION,
        E.REQUEST_CLARIFICATION,
    ],
    CaseStatus.FOLLOW_UP_REPORTED: [E.START_REVIEW, E.DRAFT_RECOMMENDATION, E.ISSUE_RECOMMENDATION, E.REPORT_FOLLOW_UP],
    CaseStatus.COMPLETED: [
        E.START_REVIEW,
        E.DRAFT_RECOMMENDATION,
        E.ISSUE_RECOMMENDATION,
        E.REPORT_FOLLOW_UP,
        E.ACCEPT_FOLLOW_UP,
    ],
    CaseStatus.CLOSED: [E.START_REVIEW, E.CLOSE],
}
SANCTIONS = ["sanksi_moral_terbuka", "disiplin_ringan", "disiplin_sedang", "disiplin_sedang", "disiplin_berat"]


def _payload(event: CaseEvent, rng: random.Random, n: int, at: datetime, sanction: str) -> dict[str, Any]:
    if event == E.DISMISS:
        return {"reason": "Tidak terbukti setelah klarifikasi kepada para pihak."}
    if event == E.CLOSE:
        return {"reason": "ASN yang bersangkutan telah pensiun; perkara ditutup secara administratif."}
    if event == E.DRAFT_RECOMMENDATION:
        return {
            "sanction": sanction,
            "legal_basis": "UU 20/2023; PP 94/2021 Pasal 5 huruf n; SKB 2/2022 Lampiran II",
            "text": (
                "Merekomendasikan kepada PPK untuk menjatuhkan sanksi sesuai ketentuan peraturan perundang-undangan."
            ),
        }
    if event == E.ISSUE_RECOMMENDATION:
        return {}  # the system numbers the letter (app/letters/numbering.py)
    if event == E.REQUEST_CLARIFICATION:
        return {
            "letter_number": f"800/{200 + n}/BKD/{at.year}",
            "reason": "PPK menilai fakta yang digunakan belum lengkap.",
        }
    if event == E.REPORT_FOLLOW_UP:
        lighter = rng.random() < 0.25
        imposed = "sanksi_moral_tertutup" if lighter else sanction
        return {
            "decision_number": f"862/{300 + n}/BKPSDM/{at.year}",
            "decision_date": at.date().isoformat(),
            "sanction_imposed": imposed,
            "note": "SK telah disampaikan kepada yang bersangkutan.",
        }
    return {}


def load_demo(now: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Create what is missing; running it again adds nothing."""
    now = now or utcnow()
    rng = random.Random(seed)
    agencies = ensure_agencies()
    users = ensure_users(agencies)
    investigators = [users["penyelidik@tindak.demo"], users["penyelidik2@tindak.demo"]]
    commissioners = [users["komisioner@tindak.demo"], users["komisioner2@tindak.demo"]]
    ppk_by_agency = {u.agency_id: u for u in users.values() if u.role == "ppk"}
    existing = set(db.session.scalars(select(Case.external_ref).where(Case.external_ref.like("demo-%"))))
    created = 0
    n = 0
    codes = [p[0] for p in PILOT_AGENCIES]
    for status, count in PLAN:
        for _ in range(count):
            n += 1
            ref = f"demo-{n:03d}"
            agency = (
                agencies[codes[(n * 7) % len(codes)]]
                if n % 3
                else agencies[rng.choice(["KEMENAG", "PROV-32", "PROV-51", "PROV-82"])]
            )
            category = rng.choice(list(SUMMARIES) + ["netralitas"] * 3)
            sub, summary = rng.choice(SUMMARIES[category])
            start = now - timedelta(days=rng.randint(30, 120))
            if ref in existing:
                continue
            investigator, drafter, issuer = investigators[n % 2], commissioners[n % 2], commissioners[(n + 1) % 2]
            payload = {
                "agency_id": agency.id,
                "category": category,
                "subcategory": sub,
                "source": rng.choice(SOURCES),
                "reported_person": {
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "nip": _nip(rng),
                    "position": rng.choice(POSITIONS),
                },
                "summary": summary,
                "occurred_on": (start - timedelta(days=rng.randint(5, 40))).date().isoformat(),
                "reporter": {"name": "Pelapor (dirahasiakan)", "contact": f"pelapor{n}@contoh.id"} if n % 2 else None,
            }
            case = create_case(payload, investigator, now=start)
            # The demo's marker, stored with the new case (as the importer does): not a change of the case, so
            # no new version without a history row (`flask audit verify` holds the version to the last row).
            db.session.execute(update(Case).where(Case.id == case.id).values(external_ref=ref))
            ppk = ppk_by_agency.get(agency.id)
            if ppk is None:
                ppk = User(
                    email=f"ppk.{agency.code.lower()}@tindak.demo",
                    name=f"Kantor PPK {agency.name}",
                    role="ppk",
                    agency_id=agency.id,
                    password_hash=hash_password(DEMO_PASSWORD),
                )
                db.session.add(ppk)
                db.session.flush()
                ppk_by_agency[agency.id] = ppk
            sanction = rng.choice(SANCTIONS)
            # overdue spread: awaiting cases issued from 5 to 60 days ago
            at = start
            for step, event in enumerate(PATHS[status]):
                if event == E.ISSUE_RECOMMENDATION:
                    at = now - timedelta(days=rng.randint(2, 60))
                elif event in (E.REPORT_FOLLOW_UP, E.REQUEST_CLARIFICATION):
                    at = at + timedelta(days=rng.randint(3, 20))
                    at = min(at, now - timedelta(hours=2))
                elif event == E.ACCEPT_FOLLOW_UP:
                    at = min(at + timedelta(days=3), now - timedelta(hours=1))
                else:
                    at = at + timedelta(days=step + 1)
                actor = {
                    E.START_REVIEW: investigator,
                    E.DRAFT_RECOMMENDATION: drafter,
                    E.ISSUE_RECOMMENDATION: issuer,
                    E.DISMISS: issuer,
                    E.CLOSE: issuer,
                    E.REPORT_FOLLOW_UP: ppk,
                    E.REQUEST_CLARIFICATION: ppk,
                    E.ACCEPT_FOLLOW_UP: investigator,
                }[event]
                fire(case, event, actor, _payload(event, rng, n, at, sanction), now=at)
            created += 1
    db.session.flush()
    return {"agencies": len(agencies), "users": len(users), "cases_created": created}


def run_catch_up_sweep(now: datetime | None = None) -> Any:
    return run_sweep(now or utcnow())


@click.group("demo", help="Data demo.")
def demo() -> None:
    pass


@demo.command("load")
def load() -> None:
    """Load demo users and ~60 cases in every state (idempotent)."""
    with unit_of_work():
        counts = load_demo()
    report = run_catch_up_sweep()
    click.echo(
        f"Demo: {counts['agencies']} instansi percontohan, {counts['users']} pengguna demo, "
        f"{counts['cases_created']} perkara baru."
    )
    if report is not None:
        levels = ", ".join(f"tingkat {lvl}: {n}" for lvl, n in sorted(report.levels.items())) or "tidak ada"
        click.echo(f"Penyisiran eskalasi: {levels}.")
    _print_logins()


def _print_logins() -> None:
    click.echo("Akun demo (kata sandi sama untuk semua): " + DEMO_PASSWORD)
    for email, _name, role, agency, body in DEMO_USERS:
        extra = agency or body or ""
        click.echo(f"  {role:<13} {email:<28} {extra}")


@demo.command("logins")
def logins() -> None:
    """Print the demo logins."""
    _print_logins()


commands = [demo]
