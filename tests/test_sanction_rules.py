"""The rules in force on sanctions (app/core/sanction_rules.py): a level and a form that do not belong together
(PP 94/2021 Pasal 8) are refused at each of the four places that take a sanction — drafting, the clarification
answer that revises it, the PPK's follow-up and the import — with a message that names the rule; a PPPK gets the
forms that apply to a PPPK; a neutrality case gets the sanction SKB 2/2022 suggests for its act; the new
neutrality sub-types are taken by the API and the import."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.cases.importing import import_file
from app.core.sanction_rules import (
    ACT_RULES,
    FORMS_BY_LEVEL,
    Employee,
    employee_of_nip,
    forms_for,
    sanction_problem,
    suggest,
)
from app.core.vocab import NEUTRALITY_SUBCATEGORIES, SANCTION_FORMS, Sanction
from app.db import db
from app.models.cases import Case, FollowUp, Recommendation
from tests.factories import SAMPLE_PAYLOADS, E, S, advance, case_in, make_cast, new_case_payload, payload_for
from tests.importing.helpers import ISSUED, case_row

PNS_NIP = "198609262015051001"  # digits 13-14: May, the month of appointment
PPPK_NIP = "199001012021211001"  # digits 13-14: 21, no month (an NI PPPK)
MISMATCHES = [
    ("disiplin_berat", "teguran_lisan", "PP 94/2021 Pasal 8 ayat (4)"),
    ("disiplin_ringan", "potong_tpp_25_6", "PP 94/2021 Pasal 8 ayat (2)"),
    ("disiplin_sedang", "pembebasan_jabatan_12", "PP 94/2021 Pasal 8 ayat (3)"),
    ("sanksi_moral_tertutup", "pernyataan_terbuka", "PP 42/2004 Pasal 15"),
    ("ptdh", "pemberhentian_dengan_hormat", "UU 5/2014 Pasal 87 ayat (4)"),
]
IDS = [f"{level}+{form}" for level, form, _ in MISMATCHES]


def _post(api: Any, actor: Any, case: Case, event: Any, payload: dict[str, Any]) -> Any:
    body = {"event": event.value, "version": case.version, **payload}
    return api(actor).post(f"/api/v1/cases/{case.id}/transitions", json=body)


def _refusal(response: Any, rule: str) -> str:
    """The message on `sanction_form` of a 422 answer, which names `rule`."""
    body = response.get_json()
    assert response.status_code == 422, body
    messages = body["error"]["details"]["fields"]["sanction_form"]
    assert len(messages) == 1 and rule in messages[0], messages
    return str(messages[0])


def _draft(level: str, form: str | None) -> dict[str, Any]:
    return {**SAMPLE_PAYLOADS[E.DRAFT_RECOMMENDATION], "sanction": level, "sanction_form": form}


# -- the rule itself -------------------------------------------------------------------------------------------


def test_every_form_belongs_to_exactly_one_level():
    levels = {form: [lvl for lvl, forms in FORMS_BY_LEVEL.items() if form in forms] for form in SANCTION_FORMS}
    assert all(len(found) == 1 for found in levels.values()), levels
    assert set(FORMS_BY_LEVEL) == set(Sanction)


@pytest.mark.parametrize(("level", "form", "rule"), MISMATCHES, ids=IDS)
def test_a_form_of_another_level_is_a_problem_naming_the_rule(level, form, rule):
    problem = sanction_problem(level, form)
    assert problem is not None and rule in problem
    assert problem.startswith("Bentuk sanksi \u201c")


def test_fitting_pairs_and_missing_parts_are_no_problem():
    for level, forms in FORMS_BY_LEVEL.items():
        for form in forms:
            assert sanction_problem(level.value, form) is None, (level, form)
    assert sanction_problem("disiplin_berat", None) is None
    assert sanction_problem(None, "teguran_lisan") is None
    assert "kosongkan bentuk sanksi" in (sanction_problem("ptdh", "teguran_lisan", employee=Employee.PNS) or "")


def test_the_employee_is_read_from_the_number():
    assert employee_of_nip(PNS_NIP) is Employee.PNS
    assert employee_of_nip("19900101 202121 1 001") is Employee.PPPK
    assert employee_of_nip("123") is None


def test_a_pppk_gets_the_forms_of_a_pppk_and_a_pns_those_of_a_pns():
    berat_pppk = forms_for("disiplin_berat", Employee.PPPK)
    assert "pemutusan_pk_dengan_hormat" in berat_pppk and "pemberhentian_dengan_hormat" not in berat_pppk
    assert forms_for("ptdh", Employee.PPPK) == ("pemutusan_pk_tidak_dengan_hormat",)
    assert forms_for("ptdh", Employee.PNS) == ()
    assert "legacy_penurunan_pangkat" not in forms_for("disiplin_sedang", Employee.PPPK)
    assert "potong_tpp_25_12" in forms_for("disiplin_sedang", Employee.PPPK)  # a PPPK also gets tunjangan
    pppk = sanction_problem("disiplin_berat", "pemberhentian_dengan_hormat", employee=Employee.PPPK)
    assert pppk is not None and "PPPK" in pppk and "PP 49/2018" in pppk
    assert "Pemutusan hubungan perjanjian kerja dengan hormat" in pppk  # what fits instead
    pns = sanction_problem("disiplin_berat", "pemutusan_pk_dengan_hormat", employee=Employee.PNS)
    assert pns is not None and "PNS" in pns
    assert sanction_problem("disiplin_berat", "pemutusan_pk_dengan_hormat", employee=Employee.PPPK) is None


@pytest.mark.parametrize(
    ("subcategory", "sanction"),
    [
        ("kampanye_medsos", Sanction.DISIPLIN_BERAT),  # SKB 2/2022 tabel disiplin butir 2
        ("pendekatan_parpol", Sanction.DISIPLIN_SEDANG),  # butir 3
        ("anggota_parpol", Sanction.PTDH),  # butir 5
        ("fasilitas_negara", Sanction.DISIPLIN_BERAT),  # PP 94/2021 Pasal 14 huruf i
        ("kampanye_atribut", Sanction.DISIPLIN_SEDANG),  # Pasal 5 huruf n angka 2: not in Pasal 14 huruf i
        ("kampanye_pasangan_tanpa_cltn", Sanction.SANKSI_MORAL_TERTUTUP),  # tabel kode etik butir 7
        ("pendamping_pasangan_cltn", None),  # SE MenPAN-RB 18/2023: not a violation within its limits
    ],
)
def test_the_suggestion_for_an_act(subcategory, sanction):
    hint = suggest("netralitas", subcategory, PNS_NIP)
    assert hint is not None and hint.sanction == sanction
    assert hint.source
    if sanction is not None:
        assert hint.forms == forms_for(sanction.value, Employee.PNS)
    else:
        assert hint.forms == () and hint.notes


def test_the_spouse_exemption_changes_the_suggestion():
    with_leave = suggest("netralitas", "pendamping_pasangan_cltn", PNS_NIP)
    without = suggest("netralitas", "kampanye_pasangan_tanpa_cltn", PNS_NIP)
    assert with_leave is not None and without is not None
    assert with_leave.sanction is None and "SE MenPAN-RB 18/2023" in with_leave.notes[0]
    assert without.sanction is Sanction.SANKSI_MORAL_TERTUTUP and without.forms == ("pernyataan_tertutup",)


def test_the_suggestion_lists_the_forms_of_a_pppk_for_a_pppk():
    hint = suggest("netralitas", "fasilitas_negara", PPPK_NIP)
    assert hint is not None and hint.employee is Employee.PPPK
    assert "pemutusan_pk_dengan_hormat" in hint.forms and "pemberhentian_dengan_hormat" not in hint.forms


def test_no_suggestion_outside_neutrality_and_every_sub_type_has_its_rule():
    assert suggest("masalah_rumah_tangga", None, PNS_NIP) is None
    assert suggest("netralitas", None, PNS_NIP) is None
    assert set(ACT_RULES) == set(NEUTRALITY_SUBCATEGORIES)
    for act in ("kampanye_atribut", "mengerahkan_pns", "fasilitas_negara", "surat_dukungan_ktp"):
        assert "PP 94/2021 Pasal 5 huruf n" in ACT_RULES[act].source


# -- the four places: drafting, the clarification answer, the follow-up, the import -----------------------------


@pytest.mark.parametrize(("level", "form", "rule"), MISMATCHES, ids=IDS)
def test_drafting_refuses_a_mismatch(level, form, rule, api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    response = _post(api, cast.investigator, case, E.DRAFT_RECOMMENDATION, _draft(level, form))
    _refusal(response, rule)
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == S.UNDER_REVIEW.value
    assert db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id)) is None


def test_drafting_takes_a_fitting_pair(api):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    response = _post(
        api, cast.investigator, case, E.DRAFT_RECOMMENDATION, _draft("disiplin_berat", "penurunan_jabatan_12")
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["recommendation"]["sanction_form"] == "penurunan_jabatan_12"


@pytest.mark.parametrize(("level", "form", "rule"), MISMATCHES, ids=IDS)
def test_a_clarification_answer_that_revises_the_sanction_refuses_a_mismatch(level, form, rule, api):
    cast = make_cast()
    case = case_in(cast, S.CLARIFICATION_REQUESTED)
    payload = {"outcome": "revised", "letter_number": "B-1895/JP.01/05/2026", "sanction": level, "sanction_form": form}
    _refusal(_post(api, cast.commissioner, case, E.ANSWER_CLARIFICATION, payload), rule)
    db.session.expire_all()
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    assert (rec.sanction, rec.sanction_form) == ("disiplin_sedang", "potong_tpp_25_6")  # the draft's, unchanged


def test_a_clarification_answer_revising_to_a_fitting_pair_is_taken(api):
    cast = make_cast()
    case = case_in(cast, S.CLARIFICATION_REQUESTED)
    payload = {
        "outcome": "revised",
        "letter_number": "B-1895/JP.01/05/2026",
        "sanction": "disiplin_ringan",
        "sanction_form": "teguran_tertulis",
    }
    response = _post(api, cast.commissioner, case, E.ANSWER_CLARIFICATION, payload)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["recommendation"]["sanction_form"] == "teguran_tertulis"


@pytest.mark.parametrize(("level", "form", "rule"), MISMATCHES, ids=IDS)
def test_the_follow_up_refuses_a_mismatch(level, form, rule, api):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    payload = {**payload_for(case, E.REPORT_FOLLOW_UP), "sanction_imposed": level, "sanction_form": form}
    _refusal(_post(api, cast.ppk, case, E.REPORT_FOLLOW_UP, payload), rule)
    assert db.session.scalar(select(FollowUp).where(FollowUp.case_id == case.id)) is None


COLUMNS = [
    "Referensi", "Kode Instansi", "Kategori", "Subkategori", "Sumber", "Nama Terlapor", "NIP", "Jenis Pegawai",
    "Jabatan", "Tanggal Kejadian", "Tanggal Laporan", "Uraian", "Nama Pelapor", "Kontak Pelapor", "Status",
    "Sanksi Rekomendasi", "Bentuk Sanksi",
    "Dasar Hukum", "Isi Rekomendasi", "Nomor Surat Rekomendasi", "Tanggal Rekomendasi", "Nomor SK", "Tanggal SK",
    "Sanksi Dijatuhkan", "Bentuk Sanksi Dijatuhkan", "Tanggal Tindak Lanjut",
]  # fmt: skip
FOLLOW_UP = {"Nomor SK": "800/1/2021", "Tanggal SK": "2021-04-30", "Sanksi Dijatuhkan": "disiplin_sedang"}


def _import(tmp_path: Path, rows: list[dict[str, str]]) -> Any:
    path = tmp_path / "rules.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    result = import_file(path, report_path=tmp_path / "rules-errors.csv")
    db.session.commit()
    return result


def _errors(result: Any) -> dict[int, str]:
    """Messages of the refused rows, by line, joined."""
    return {error.row: " | ".join(error.messages) for error in result.errors}


def _row(code: str, ref: str, status: str, *parts: dict[str, str], **cells: str) -> dict[str, str]:
    """A row of the shared import helper, its cells merged from `parts` (later ones win) and `cells`."""
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(part)
    merged.update(cells)
    return case_row(ref, code, status, **merged)


@pytest.mark.parametrize(("level", "form", "rule"), MISMATCHES, ids=IDS)
def test_the_import_refuses_a_mismatch_in_the_recommendation_and_in_the_follow_up(level, form, rule, tmp_path):
    code = make_cast().agency.code
    bad_rec = {"Sanksi Rekomendasi": level, "Bentuk Sanksi": form}
    bad_fu = {"Sanksi Dijatuhkan": level, "Bentuk Sanksi Dijatuhkan": form}
    fitting = {"Bentuk Sanksi": "potong_tpp_25_9", "Bentuk Sanksi Dijatuhkan": "potong_tpp_25_6"}
    rows = [
        _row(code, "REC-1", "awaiting_follow_up", ISSUED, bad_rec),
        _row(code, "FU-1", "completed", ISSUED, FOLLOW_UP, bad_fu),
        _row(code, "OK-1", "completed", ISSUED, FOLLOW_UP, fitting),
    ]
    result = _import(tmp_path, rows)
    errors = _errors(result)
    assert result.failed == 2 and sorted(errors) == [2, 3], errors
    assert errors[2].startswith("Bentuk sanksi: Bentuk sanksi \u201c") and rule in errors[2]
    assert "Bentuk sanksi dijatuhkan: Bentuk sanksi \u201c" in errors[3] and rule in errors[3]
    imported = db.session.scalar(select(Case).where(Case.external_ref == "OK-1"))
    assert imported is not None and imported.status == "completed"


def test_the_import_applies_the_pppk_forms_from_the_column_or_the_nip(tmp_path):
    code = make_cast().agency.code
    pns_form = {"Sanksi Rekomendasi": "disiplin_berat", "Bentuk Sanksi": "pemberhentian_dengan_hormat"}
    pppk_form = {"Sanksi Rekomendasi": "disiplin_berat", "Bentuk Sanksi": "pemutusan_pk_dengan_hormat"}
    open_ = "awaiting_follow_up"
    rows = [
        _row(code, "P-1", open_, ISSUED, pns_form, {"NIP": PPPK_NIP, "Jenis Pegawai": "PPPK"}),
        _row(code, "P-2", open_, ISSUED, pppk_form, {"NIP": PPPK_NIP, "Jenis Pegawai": "P3K"}),
        _row(code, "P-3", open_, ISSUED, pppk_form, {"NIP": PNS_NIP}),
        _row(code, "P-4", open_, ISSUED, pppk_form, {"NIP": PNS_NIP, "Jenis Pegawai": "pppk"}),
        _row(code, "P-5", "reported", {"Jenis Pegawai": "honorer"}),
    ]
    errors = _errors(_import(tmp_path, rows))
    assert sorted(errors) == [2, 4, 6], errors
    assert "berstatus PPPK" in errors[2] and "PP 49/2018" in errors[2]
    assert "berstatus PNS" in errors[4]
    assert "Jenis pegawai: 'honorer' tidak dikenal" in errors[6]
    taken = {c.external_ref for c in db.session.scalars(select(Case).where(Case.external_ref.like("P-%")))}
    assert taken == {"P-2", "P-4"}  # the column says PPPK even where the number looks like a PNS's


# -- PPPK through the workflow ---------------------------------------------------------------------------------


def _pppk_case(cast: Any, status: Any) -> Case:
    person = {"name": "Rina Kontrak", "nip": PPPK_NIP, "position": "Guru Ahli Pertama", "pppk": True}
    return case_in(cast, status, reported_person=person)


def test_a_pppk_is_refused_the_forms_of_a_pns_when_drafting_and_in_the_follow_up(api):
    cast = make_cast()
    case = _pppk_case(cast, S.UNDER_REVIEW)
    refused = _post(
        api, cast.investigator, case, E.DRAFT_RECOMMENDATION, _draft("disiplin_berat", "pemberhentian_dengan_hormat")
    )
    assert "berstatus PPPK" in _refusal(refused, "PP 49/2018")
    taken = _post(
        api, cast.investigator, case, E.DRAFT_RECOMMENDATION, _draft("disiplin_berat", "pemutusan_pk_dengan_hormat")
    )
    assert taken.status_code == 200, taken.get_json()
    db.session.expire_all()
    case = advance(db.session.get(Case, case.id), cast, S.AWAITING_FOLLOW_UP)
    follow_up = {**payload_for(case, E.REPORT_FOLLOW_UP), "sanction_imposed": "disiplin_sedang",
                 "sanction_form": "legacy_penurunan_pangkat"}  # fmt: skip
    assert "tidak berpangkat" in _refusal(_post(api, cast.ppk, case, E.REPORT_FOLLOW_UP, follow_up), "PPPK")
    follow_up["sanction_form"] = "potong_tpp_25_12"
    assert _post(api, cast.ppk, case, E.REPORT_FOLLOW_UP, follow_up).status_code == 200


def test_a_pns_is_refused_the_forms_of_a_pppk(api):
    cast = make_cast()
    case = case_in(cast, S.CLARIFICATION_REQUESTED)
    payload = {"outcome": "revised", "letter_number": "B-1/2026", "sanction": "ptdh",
               "sanction_form": "pemutusan_pk_tidak_dengan_hormat"}  # fmt: skip
    assert "berstatus PNS" in _refusal(_post(api, cast.commissioner, case, E.ANSWER_CLARIFICATION, payload), "PPPK")
    payload["sanction_form"] = None
    assert _post(api, cast.commissioner, case, E.ANSWER_CLARIFICATION, payload).status_code == 200


# -- the new sub-types ------------------------------------------------------------------------------------------

NEW_ACTS = ["kampanye_atribut", "mengerahkan_pns", "fasilitas_negara", "surat_dukungan_ktp",
            "pendamping_pasangan_cltn", "kampanye_pasangan_tanpa_cltn"]  # fmt: skip


@pytest.mark.parametrize("subcategory", NEW_ACTS)
def test_the_api_takes_the_new_sub_types(subcategory, api):
    cast = make_cast()
    response = api(cast.investigator).post(
        "/api/v1/cases", json=new_case_payload(cast.agency.id, subcategory=subcategory)
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["subcategory"] == subcategory


def test_existing_sub_types_keep_working_and_an_unknown_one_is_refused(api):
    cast = make_cast()
    old = api(cast.investigator).post(
        "/api/v1/cases", json=new_case_payload(cast.agency.id, subcategory="tim_pemenangan")
    )
    assert old.status_code == 201
    unknown = api(cast.investigator).post("/api/v1/cases", json=new_case_payload(cast.agency.id, subcategory="x"))
    assert unknown.status_code == 422 and "subcategory" in unknown.get_json()["error"]["details"]["fields"]


def test_the_import_takes_the_new_sub_types_by_key_or_label(tmp_path):
    code = make_cast().agency.code
    rows = [
        _row(code, "S-1", "reported", Subkategori="fasilitas_negara"),
        _row(code, "S-2", "reported", {"Jenis Pegawai": "PPPK", "NIP": PPPK_NIP},
             Subkategori=NEUTRALITY_SUBCATEGORIES["surat_dukungan_ktp"].upper()),
        _row(code, "S-3", "reported", Subkategori="kampanye_pasangan_tanpa_cltn"),
        _row(code, "S-4", "reported", Subkategori="bukan subkategori"),
    ]  # fmt: skip
    result = _import(tmp_path, rows)
    assert sorted(_errors(result)) == [5]
    stored = {
        c.external_ref: c.subcategory for c in db.session.scalars(select(Case).where(Case.external_ref.like("S-%")))
    }
    assert stored == {"S-1": "fasilitas_negara", "S-2": "surat_dukungan_ktp", "S-3": "kampanye_pasangan_tanpa_cltn"}


# -- where the suggestion is shown: the API's document of the drafting payload ------------------------------------


def test_the_openapi_document_of_drafting_carries_the_suggestions_and_the_forms(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    sanction = spec["components"]["schemas"]["TransitionDraftRecommendation"]["properties"]["sanction"]
    assert sanction["x-saran-sanksi-per-subkategori"]["fasilitas_negara"] == "disiplin_berat"
    assert sanction["x-saran-sanksi-per-subkategori"]["pendamping_pasangan_cltn"] is None
    assert sanction["x-bentuk-sanksi-per-tingkat"]["disiplin_ringan"] == [
        "teguran_lisan",
        "teguran_tertulis",
        "pernyataan_tidak_puas",
    ]
    assert "SKB 2/2022" in sanction["description"]
