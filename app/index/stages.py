"""The stages of an IM-NKK self-assessment answer and the moves between them, as data (docs/index-method.md §10).

The agency's PPK fills an answer in (`self_assessment`) and submits it; KASN verifies or corrects it
(`verification`) and may send it back with a question (`clarification`, back to `verification` once answered);
the commissioner's plenary decision locks it (`plenary`).

This module is the one home of that lifecycle: the stage names (the strings stored in
`self_assessments.stage`), their Indonesian labels, and `TRANSITIONS`, which says for every action in which
stages it may be taken and which stage follows. `move()` is the only code that changes an answer's stage;
`check()` refuses an action its stage does not allow with the project's `InvalidTransition` (409,
code `invalid_stage`). The table is validated at import.

Imports only `app.errors`, so the table can be read from anywhere below the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from app.errors import InvalidTransition

REFUSED_CODE = "invalid_stage"


class Stage(StrEnum):
    SELF_ASSESSMENT = "self_assessment"
    VERIFICATION = "verification"
    CLARIFICATION = "clarification"
    PLENARY = "plenary"


INITIAL_STAGE = Stage.SELF_ASSESSMENT  # a new answer
FINAL_STAGE = Stage.PLENARY  # nothing more happens to the answer

STAGE_LABELS: dict[Stage, str] = {
    Stage.SELF_ASSESSMENT: "Penilaian mandiri",
    Stage.VERIFICATION: "Verifikasi",
    Stage.CLARIFICATION: "Klarifikasi",
    Stage.PLENARY: "Pleno penetapan",
}


class StageAction(StrEnum):
    SAVE_ANSWER = "save_answer"
    ATTACH_EVIDENCE = "attach_evidence"
    SUBMIT = "submit"
    VERIFY = "verify"
    REQUEST_CLARIFICATION = "request_clarification"
    ANSWER_CLARIFICATION = "answer_clarification"
    DECIDE = "decide"


@dataclass(frozen=True)
class StageMove:
    """An action on an answer: the stages it may be taken in and the stage that follows (None: it stays)."""

    action: StageAction
    sources: tuple[Stage, ...]
    target: Stage | None
    label: str
    refusal: str  # the message when the answer's stage does not allow it; `{stage}`: that stage's label

    def target_from(self, source: Stage) -> Stage:
        return self.target or source


S = Stage
A = StageAction
TRANSITIONS: dict[StageAction, StageMove] = {
    move.action: move
    for move in (
        StageMove(A.SAVE_ANSWER, (S.SELF_ASSESSMENT, S.CLARIFICATION), None, "Simpan jawaban",
                  "Jawaban sedang dalam tahap {stage} dan tidak dapat diubah."),
        StageMove(A.ATTACH_EVIDENCE, (S.SELF_ASSESSMENT, S.CLARIFICATION), None, "Unggah bukti dukung",
                  "Bukti tidak dapat diubah pada tahap ini."),
        StageMove(A.SUBMIT, (S.SELF_ASSESSMENT,), S.VERIFICATION, "Ajukan untuk verifikasi",
                  "Tidak ada jawaban penilaian mandiri yang dapat diajukan."),
        StageMove(A.VERIFY, (S.VERIFICATION,), None, "Verifikasi",
                  "Jawaban sedang dalam tahap {stage}."),
        StageMove(A.REQUEST_CLARIFICATION, (S.VERIFICATION,), S.CLARIFICATION, "Minta klarifikasi",
                  "Jawaban sedang dalam tahap {stage}."),
        StageMove(A.ANSWER_CLARIFICATION, (S.CLARIFICATION,), S.VERIFICATION, "Jawab klarifikasi",
                  "Tidak ada permintaan klarifikasi untuk jawaban ini."),
        StageMove(A.DECIDE, (S.VERIFICATION,), S.PLENARY, "Tetapkan hasil pleno",
                  "Masih ada jawaban yang belum diverifikasi atau masih dalam klarifikasi."),
    )
}  # fmt: skip


class HasStage(Protocol):
    stage: str


def stage_label(stage: str) -> str:
    return STAGE_LABELS[Stage(stage)]


def allows(stage: str, action: StageAction) -> bool:
    """Whether an answer in `stage` may take `action`."""
    return Stage(stage) in TRANSITIONS[action].sources


def refusal(
    action: StageAction, stage: str | None = None, *, details: dict[str, Any] | None = None
) -> InvalidTransition:
    """The error for `action` refused (to an answer in `stage`, when there is one answer)."""
    move = TRANSITIONS[action]
    message = move.refusal.format(stage=stage_label(stage).lower() if stage is not None else "")
    named = {"stage": Stage(stage)} if stage is not None else {}
    return InvalidTransition(message, code=REFUSED_CODE, details={**named, **(details or {})})


def check(stage: str, action: StageAction) -> None:
    """Raise InvalidTransition (409 invalid_stage) when an answer in `stage` may not take `action`."""
    if not allows(stage, action):
        raise refusal(action, stage)


def move(row: HasStage, action: StageAction) -> Stage:
    """Take `action` on the answer: checks the table, then sets the stage that follows; returns it."""
    check(row.stage, action)
    target = TRANSITIONS[action].target_from(Stage(row.stage))
    row.stage = target
    return target


def _validate() -> None:
    """Every stage is reached from the initial one; every other stage can be left; the final one cannot."""
    reached, frontier = {INITIAL_STAGE}, [INITIAL_STAGE]
    while frontier:
        source = frontier.pop()
        for m in TRANSITIONS.values():
            if source in m.sources and m.target is not None and m.target not in reached:
                reached.add(m.target)
                frontier.append(m.target)
    problems = [f"tahap {s} tidak terjangkau" for s in Stage if s not in reached]
    for stage in Stage:
        exits = [m for m in TRANSITIONS.values() if stage in m.sources]
        if stage == FINAL_STAGE and exits:
            problems.append(f"tahap akhir {stage} masih punya tindakan")
        if stage != FINAL_STAGE and not any(m.target not in (None, stage) for m in exits):
            problems.append(f"tahap {stage} tidak dapat ditinggalkan")
    problems += [f"tahap {s} tanpa label" for s in Stage if s not in STAGE_LABELS]
    problems += [f"tindakan {a} tidak ada di tabel" for a in StageAction if a not in TRANSITIONS]
    if problems:
        raise RuntimeError("Tabel tahap penilaian mandiri tidak sah: " + "; ".join(problems))


_validate()
