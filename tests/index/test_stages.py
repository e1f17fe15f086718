"""The self-assessment stages as one table (app.index.stages): every action allowed only in its stages, refused
elsewhere with 409 `invalid_stage` and the same messages as before, and the stored strings unchanged."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from sqlalchemy import CheckConstraint

from app.errors import Conflict, InvalidTransition
from app.index import stages
from app.index.stages import FINAL_STAGE, INITIAL_STAGE, STAGE_LABELS, TRANSITIONS, Stage, StageAction, StageMove
from app.models.index import STAGES, SelfAssessment
from tests.index.test_self_assessment import PDF, YEAR, put_as

A = StageAction


@dataclass
class Answer:
    stage: str


def test_the_stored_strings_are_the_stages():
    """No data migration: the enum's values are the strings the table has always held."""
    assert [s.value for s in Stage] == ["self_assessment", "verification", "clarification", "plenary"]
    assert set(STAGES) == {s.value for s in Stage}
    checks = [str(c.sqltext) for c in SelfAssessment.__table__.constraints if isinstance(c, CheckConstraint)]
    stage_check = next(text for text in checks if text.startswith("stage IN"))
    assert all(f"'{s.value}'" in stage_check for s in Stage)
    assert SelfAssessment.__table__.c.stage.default.arg == INITIAL_STAGE


def test_every_stage_has_an_indonesian_label():
    assert STAGE_LABELS == {
        Stage.SELF_ASSESSMENT: "Penilaian mandiri",
        Stage.VERIFICATION: "Verifikasi",
        Stage.CLARIFICATION: "Klarifikasi",
        Stage.PLENARY: "Pleno penetapan",
    }
    assert all(TRANSITIONS[action].label for action in StageAction)


def test_the_table():
    moves = {(source, action): m.target_from(source) for action, m in TRANSITIONS.items() for source in m.sources}
    assert moves == {
        (Stage.SELF_ASSESSMENT, A.SAVE_ANSWER): Stage.SELF_ASSESSMENT,
        (Stage.CLARIFICATION, A.SAVE_ANSWER): Stage.CLARIFICATION,
        (Stage.SELF_ASSESSMENT, A.ATTACH_EVIDENCE): Stage.SELF_ASSESSMENT,
        (Stage.CLARIFICATION, A.ATTACH_EVIDENCE): Stage.CLARIFICATION,
        (Stage.SELF_ASSESSMENT, A.SUBMIT): Stage.VERIFICATION,
        (Stage.VERIFICATION, A.VERIFY): Stage.VERIFICATION,
        (Stage.VERIFICATION, A.REQUEST_CLARIFICATION): Stage.CLARIFICATION,
        (Stage.CLARIFICATION, A.ANSWER_CLARIFICATION): Stage.VERIFICATION,
        (Stage.VERIFICATION, A.DECIDE): Stage.PLENARY,
    }
    assert not any(FINAL_STAGE in m.sources for m in TRANSITIONS.values())


@pytest.mark.parametrize("action", list(StageAction))
@pytest.mark.parametrize("stage", list(Stage))
def test_move_follows_the_table(stage, action):
    answer = Answer(stage=stage.value)  # as loaded from the database: a plain string
    allowed = stage in TRANSITIONS[action].sources
    assert stages.allows(stage.value, action) is allowed
    if allowed:
        assert stages.move(answer, action) == TRANSITIONS[action].target_from(stage)
        assert answer.stage == TRANSITIONS[action].target_from(stage)
        return
    with pytest.raises(InvalidTransition) as refused:
        stages.move(answer, action)
    assert answer.stage == stage.value
    assert isinstance(refused.value, Conflict) and refused.value.status == 409
    assert refused.value.code == "invalid_stage"
    assert refused.value.details["stage"] == stage


def test_refusals_say_what_they_said_before():
    def message(action: StageAction, stage: Stage | None = None) -> str:
        return stages.refusal(action, stage).message

    assert message(A.SAVE_ANSWER, Stage.PLENARY) == "Jawaban sedang dalam tahap pleno penetapan dan tidak dapat diubah."
    assert message(A.ATTACH_EVIDENCE, Stage.VERIFICATION) == "Bukti tidak dapat diubah pada tahap ini."
    assert message(A.SUBMIT) == "Tidak ada jawaban penilaian mandiri yang dapat diajukan."
    assert message(A.VERIFY, Stage.CLARIFICATION) == "Jawaban sedang dalam tahap klarifikasi."
    assert message(A.REQUEST_CLARIFICATION, Stage.PLENARY) == "Jawaban sedang dalam tahap pleno penetapan."
    assert message(A.ANSWER_CLARIFICATION, Stage.VERIFICATION) == "Tidak ada permintaan klarifikasi untuk jawaban ini."
    assert message(A.DECIDE) == "Masih ada jawaban yang belum diverifikasi atau masih dalam klarifikasi."
    assert stages.refusal(A.SUBMIT).details == {}


def test_a_broken_table_is_refused_at_import(monkeypatch):
    decide = TRANSITIONS[A.DECIDE]
    monkeypatch.setitem(TRANSITIONS, A.DECIDE, StageMove(A.DECIDE, decide.sources, None, decide.label, "x"))
    with pytest.raises(RuntimeError, match="plenary tidak terjangkau"):
        stages._validate()
    monkeypatch.setitem(TRANSITIONS, A.DECIDE, StageMove(A.DECIDE, (Stage.PLENARY,), Stage.PLENARY, "x", "x"))
    with pytest.raises(RuntimeError, match="tahap akhir plenary"):
        stages._validate()


def test_refused_moves_through_the_api(api, people, app):
    base = f"/api/v1/self-assessments/{people.agency.id}/{YEAR}"
    answer = f"{base}/penetapan.peraturan_internal"
    ppk, investigator = api(people.ppk), api(people.investigator)

    nothing = ppk.post(f"{base}/submit")
    assert nothing.status_code == 409
    assert nothing.get_json()["error"] == {
        "code": "invalid_stage",
        "message": "Tidak ada jawaban penilaian mandiri yang dapat diajukan.",
        "details": {},
    }
    assert put_as(app, people.ppk, answer, json={"self_score": 80}).status_code == 200
    not_asked = ppk.post(f"{answer}/clarification-answer", json={"answer": "SOP terlampir"})
    assert not_asked.status_code == 409
    assert not_asked.get_json()["error"]["message"] == "Tidak ada permintaan klarifikasi untuk jawaban ini."
    too_early = investigator.post(f"{answer}/verify", json={"verified_score": 80})
    assert too_early.status_code == 409
    assert too_early.get_json()["error"] == {
        "code": "invalid_stage",
        "message": "Jawaban sedang dalam tahap penilaian mandiri.",
        "details": {"stage": "self_assessment"},
    }

    assert ppk.post(f"{base}/submit").get_json() == {"moved": 1, "stage": "verification"}
    locked = put_as(app, people.ppk, answer, json={"self_score": 90})
    assert locked.status_code == 409
    assert locked.get_json()["error"] == {
        "code": "invalid_stage",
        "message": "Jawaban sedang dalam tahap verifikasi dan tidak dapat diubah.",
        "details": {"stage": "verification"},
    }
    upload = ppk.post(f"{answer}/evidence", data={"file": (io.BytesIO(PDF), "bukti.pdf")},
                      content_type="multipart/form-data")  # fmt: skip
    assert upload.status_code == 409
    assert upload.get_json()["error"]["message"] == "Bukti tidak dapat diubah pada tahap ini."

    asked = investigator.post(f"{answer}/clarification", json={"question": "Mana perkadanya?"})
    assert asked.get_json()["stage"] == "clarification"
    waiting = api(people.commissioner).post(f"{base}/decide")
    assert waiting.status_code == 409
    assert waiting.get_json()["error"] == {
        "code": "invalid_stage",
        "message": "Masih ada jawaban yang belum diverifikasi atau masih dalam klarifikasi.",
        "details": {"subcriteria": ["penetapan.peraturan_internal"]},
    }
