"""The keyed history chain, its signed checkpoints and `flask audit verify` (issue 16, item 4).

Each attack is made as someone who can write the tables but holds neither the chain key nor the checkpoint
directory would make it: plain SQL on `cases` and `case_history`, and the project's own public digest function
(`app.audit.history.row_digest`) to recompute a chain. `flask audit verify` must exit non-zero and name the case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, text, update

from app import create_app
from app.audit.checkpoints import CheckpointError, load_checkpoints, write_checkpoint
from app.audit.history import GENESIS, chain_keys, row_digest, seal_unsealed_rows, verify_case
from app.core.states import CaseEvent
from app.db import db
from app.models.cases import Case, CaseHistory
from app.models.core import JobHeartbeat
from app.scheduling import CHECKPOINT_JOB_ID, build_scheduler, checkpoint_job, run_job
from config import ConfigError, parse_chain_keys
from tests.factories import S, case_in, make_cast, payload_for, upload
from workflows import fire

OLD_KEY = "k2025:" + "o" * 40
NEW_KEY = "k2026:" + "n" * 40


@pytest.fixture
def checkpoints(app, tmp_path, monkeypatch) -> Path:
    """A checkpoint directory for this test (the suite's app has none)."""
    directory = tmp_path / "audit-checkpoints"
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DIR", str(directory))
    return directory


def verify(runner) -> Any:
    result = runner.invoke(args=["audit", "verify"])
    print(result.output)  # the report shows each attack's verdict (pytest -s)
    return result


def checkpoint(runner) -> Any:
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return result


def last_seq(case: Case) -> int:
    return db.session.execute(text("SELECT max(seq) FROM case_history WHERE case_id = :id"), {"id": case.id}).scalar()


def sql(statement: str, **params: Any) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()
    db.session.expire_all()


def broken(result: Any, case: Case, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert case.number in result.output, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def test_a_clean_history_verifies_with_and_without_checkpoints(runner, checkpoints):
    cast = make_cast()
    cases = [case_in(cast, status) for status in (S.REPORTED, S.AWAITING_FOLLOW_UP, S.COMPLETED, S.CLOSED)]
    upload(cases[1], cast.ppk)
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ") and "4 perkara" in result.output
    assert "belum ada checkpoint" in result.output

    written = checkpoint(runner)
    assert "Checkpoint ditulis" in written.output and "4 perkara" in written.output
    [path] = list(checkpoints.glob("checkpoint-*.json"))
    document = json.loads(path.read_text())
    assert document["key_id"] == chain_keys().current.id
    assert [entry[:3] for entry in document["cases"]] == [[c.id, c.number, last_seq(c)] for c in cases]

    # The history goes on after the checkpoint: still intact, and a second checkpoint follows the first.
    fire(cases[1], CaseEvent.REPORT_FOLLOW_UP, cast.ppk, payload_for(cases[1], CaseEvent.REPORT_FOLLOW_UP))
    db.session.commit()
    checkpoint(runner)
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "Checkpoint: 2 berkas cocok" in result.output


def test_every_row_is_sealed_with_the_current_key_and_the_case_version():
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    upload(case, cast.ppk)
    rows = db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id).order_by(CaseHistory.seq))
    versions = [(row.event, row.case_version) for row in rows]
    assert versions == [
        ("create", 1),
        ("start_review", 2),
        ("draft_recommendation", 3),
        ("issue_recommendation", 4),
        ("attachment_added", 4),  # an upload does not change the case
    ]
    assert case.version == 4
    assert {row.key_id for row in db.session.scalars(select(CaseHistory))} == {chain_keys().current.id}


# -- the four attacks of issue 16 -----------------------------------------------------------------------------


def test_attack_1_the_last_history_row_deleted(runner):
    cast = make_cast()
    case = case_in(cast, S.COMPLETED)
    other = case_in(cast, S.AWAITING_FOLLOW_UP)
    sql("DELETE FROM case_history WHERE case_id = :id AND seq = :seq", id=case.id, seq=last_seq(case))
    assert verify_case(case.id) == (True, None)  # what is left of the chain is intact …
    result = verify(runner)  # … but it no longer says how the case stands
    broken(result, case, "status perkara", "'completed'", "ke-5: 'follow_up_reported'")
    assert other.number not in result.output


def test_attack_1_the_last_row_deleted_where_only_a_checkpoint_can_tell(runner, checkpoints):
    """An upload changes neither status nor version: once its row is gone, only the head the checkpoint
    recorded shows that the history was longer."""
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    upload(case, cast.ppk)
    checkpoint(runner)
    sql("DELETE FROM case_history WHERE case_id = :id AND seq = :seq", id=case.id, seq=last_seq(case))
    result = verify(runner)
    broken(result, case, "baris ke-5", "tidak ada lagi: riwayatnya dipotong")


def test_attack_2_a_case_whose_whole_history_is_deleted(runner):
    cast = make_cast()
    case = case_in(cast, S.RECOMMENDATION_DRAFTED)
    sql("DELETE FROM case_history WHERE case_id = :id", id=case.id)
    result = verify(runner)
    broken(result, case, "tidak punya riwayat sama sekali")


def test_attack_2_a_deleted_case_and_its_history_behind_a_checkpoint(runner, checkpoints):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    case_id, number = case.id, case.number
    checkpoint(runner)
    sql("DELETE FROM case_history WHERE case_id = :id", id=case_id)
    sql("DELETE FROM cases WHERE id = :id", id=case_id)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"perkara {number} yang tercatat di checkpoint" in result.output and "perkaranya dihapus" in result.output


def _rewrite(case: Case, seq: int, payload: dict[str, Any], *, drop_seals: bool = False) -> None:
    """Edit row `seq` and recompute the chain from there on with the project's public digest function (an
    attacker has the code, not the key)."""
    rows = list(db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id).order_by(CaseHistory.seq)))
    prev = GENESIS
    for row in rows:
        content = payload if row.seq == seq else row.payload
        digest = row_digest(
            case_id=row.case_id,
            seq=row.seq,
            event=row.event,
            from_status=row.from_status,
            to_status=row.to_status,
            actor_id=row.actor_id,
            actor_label=row.actor_label,
            payload=content,
            created_at=row.created_at,
            prev_hash=prev,
        )
        values: dict[str, Any] = {"payload": content, "prev_hash": prev, "hash": digest}
        if drop_seals:
            values |= {"key_id": None, "mac": None, "case_version": None}
        db.session.execute(update(CaseHistory).where(CaseHistory.id == row.id).values(**values))
        prev = digest
    db.session.commit()
    db.session.expire_all()


def test_attack_3_a_row_edited_and_the_chain_recomputed(runner):
    cast = make_cast()
    case = case_in(cast, S.COMPLETED)
    row = db.session.scalar(select(CaseHistory).where(CaseHistory.case_id == case.id, CaseHistory.seq == 3))
    _rewrite(case, 3, {**row.payload, "sanction": "sanksi_moral_tertutup"})
    result = verify(runner)
    broken(result, case, "baris ke-3", "segel (HMAC)")


def test_attack_3_a_rewritten_chain_without_seals(runner):
    """Dropping the seals does not help: after migration 0002 every genuine row carries one."""
    cast = make_cast()
    case = case_in(cast, S.COMPLETED)
    row = db.session.scalar(select(CaseHistory).where(CaseHistory.case_id == case.id, CaseHistory.seq == 3))
    _rewrite(case, 3, {**row.payload, "sanction": "sanksi_moral_tertutup"}, drop_seals=True)
    assert verify_case(case.id) == (False, 1)
    result = verify(runner)
    broken(result, case, "baris ke-1", "baris tanpa segel")


def test_attack_3_a_rewrite_behind_a_checkpoint_shows_twice(runner, checkpoints):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    checkpoint(runner)
    row = db.session.scalar(select(CaseHistory).where(CaseHistory.case_id == case.id, CaseHistory.seq == 4))
    _rewrite(case, 4, {**row.payload, "letter_number": "R-1/PALSU/2026"})
    result = verify(runner)
    broken(result, case, "segel (HMAC)", "berbeda dari yang tercatat di checkpoint")


def test_attack_4_the_status_changed_without_a_history_row(runner):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    other = case_in(cast, S.AWAITING_FOLLOW_UP)
    sql("UPDATE cases SET status = 'completed' WHERE id = :id", id=case.id)
    result = verify(runner)
    broken(result, case, "status perkara", "('completed')", "'awaiting_follow_up'")
    assert other.number not in result.output


def test_attack_4_the_version_changed_without_a_history_row(runner):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    sql("UPDATE cases SET version = version + 1 WHERE id = :id", id=case.id)
    result = verify(runner)
    broken(result, case, "versi perkara", "(3)", "versi 2")


def test_every_broken_case_is_named(runner):
    cast = make_cast()
    first, second, intact = (case_in(cast, S.UNDER_REVIEW) for _ in range(3))
    sql("DELETE FROM case_history WHERE case_id = :id", id=first.id)
    sql("UPDATE cases SET status = 'reported' WHERE id = :id", id=second.id)
    result = verify(runner)
    assert result.exit_code == 1
    assert first.number in result.output and second.number in result.output
    assert f"perkara terdampak: {first.number}, {second.number}." in result.output
    assert intact.number not in result.output


# -- checkpoints ------------------------------------------------------------------------------------------------


def test_a_checkpoint_is_not_written_over_a_cut_history(runner, checkpoints):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    upload(case, cast.ppk)
    checkpoint(runner)
    sql("DELETE FROM case_history WHERE case_id = :id AND seq = :seq", id=case.id, seq=last_seq(case))
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1
    assert case.number in result.output and "Checkpoint tidak ditulis" in result.output
    assert len(list(checkpoints.glob("checkpoint-*.json"))) == 1


def test_a_checkpoint_edited_or_signed_without_the_key_is_refused(runner, checkpoints):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    checkpoint(runner)
    [path] = list(checkpoints.glob("checkpoint-*.json"))
    document = json.loads(path.read_text())
    document["cases"][0][2] = 1  # pretend the case's history was one row long
    path.write_text(json.dumps(document))
    result = verify(runner)
    assert result.exit_code == 1
    assert f"checkpoint {path.name} tidak sah" in result.output
    assert "tanda tangannya tidak cocok" in result.output
    assert case.number not in result.output.split("RUSAK:")[1]  # the history itself is intact


def test_checkpoints_of_another_database_are_ignored(runner, checkpoints):
    cast = make_cast()
    case_in(cast, S.UNDER_REVIEW)
    checkpoint(runner)
    [path] = list(checkpoints.glob("checkpoint-*.json"))
    document = json.loads(path.read_text())
    document["database"] = "sqlite:////elsewhere/tindak.db"
    path.write_text(json.dumps(document))
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "1 berkas checkpoint basis data lain diabaikan" in result.output


def test_without_a_directory_no_checkpoint_is_written(runner):
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1
    assert "AUDIT_CHECKPOINT_DIR" in result.output
    with pytest.raises(CheckpointError):
        write_checkpoint()


def test_the_scheduler_writes_checkpoints_and_its_heartbeat_reports_a_cut(app, checkpoints):
    scheduler = build_scheduler(app, BackgroundScheduler)
    job = scheduler.get_job(CHECKPOINT_JOB_ID)
    assert job is not None and job.trigger.interval.total_seconds() == 86400
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    db.session.remove()
    assert run_job(app, CHECKPOINT_JOB_ID, checkpoint_job) is True
    assert len(load_checkpoints().valid) == 1
    sql("UPDATE cases SET status = 'completed' WHERE id = :id", id=case.id)
    db.session.remove()
    assert run_job(app, CHECKPOINT_JOB_ID, checkpoint_job) is False
    beat = db.session.get(JobHeartbeat, CHECKPOINT_JOB_ID)
    assert beat.last_ok is False and case.number in beat.last_error
    assert len(load_checkpoints().valid) == 1


def test_the_scheduler_has_no_checkpoint_job_without_a_directory(app):
    assert build_scheduler(app, BackgroundScheduler).get_job(CHECKPOINT_JOB_ID) is None


# -- keys -------------------------------------------------------------------------------------------------------


def test_rows_sealed_under_an_old_key_verify_while_it_is_configured(app, runner, monkeypatch, checkpoints):
    cast = make_cast()
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEYS", OLD_KEY)
    case = case_in(cast, S.UNDER_REVIEW)
    checkpoint(runner)
    # Rotation: the new key comes first and seals from now on; the old one stays to verify.
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEYS", f"{NEW_KEY},{OLD_KEY}")
    fire(case, CaseEvent.DRAFT_RECOMMENDATION, cast.investigator, payload_for(case, CaseEvent.DRAFT_RECOMMENDATION))
    db.session.commit()
    keys = db.session.scalars(select(CaseHistory.key_id).where(CaseHistory.case_id == case.id).order_by("seq"))
    assert list(keys) == ["k2025", "k2025", "k2026"]
    result = verify(runner)
    assert result.exit_code == 0, result.output
    checkpoint(runner)
    assert {cp.key_id for cp in load_checkpoints().valid} == {"k2025", "k2026"}

    # Without the old key nothing it sealed can be checked: verify says so and names the case.
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEYS", NEW_KEY)
    result = verify(runner)
    broken(result, case, "baris ke-1", "kunci 'k2025' yang tidak ada di AUDIT_CHAIN_KEYS")
    assert "ditandatangani dengan kunci 'k2025'" in result.output  # the first checkpoint too


def test_a_row_sealed_under_a_guessed_key_is_refused(app, runner, monkeypatch):
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEYS", f"{chain_keys().current.id}:{'g' * 40}")
    fire(case, CaseEvent.DRAFT_RECOMMENDATION, cast.investigator, payload_for(case, CaseEvent.DRAFT_RECOMMENDATION))
    db.session.commit()
    monkeypatch.undo()
    broken(verify(runner), case, "baris ke-3", "segel (HMAC)")


def test_rows_from_before_the_key_are_sealed_by_the_upgrade(runner):
    """Migration 0002 seals the rows already there as they stand (their plain SHA-256 chain unchanged, their
    version unknown), under the current key; rows written afterwards carry the version too."""
    cast = make_cast()
    old = case_in(cast, S.AWAITING_FOLLOW_UP)
    sql("UPDATE case_history SET key_id = NULL, mac = NULL, case_version = NULL")  # as before the upgrade
    broken(verify(runner), old, "baris ke-1", "baris tanpa segel")

    assert seal_unsealed_rows(db.session.connection(), chain_keys().current, batch=3) == 4
    db.session.commit()
    assert seal_unsealed_rows(db.session.connection(), chain_keys().current) == 0
    result = verify(runner)
    assert result.exit_code == 0, result.output
    fire(old, CaseEvent.REPORT_FOLLOW_UP, cast.ppk, payload_for(old, CaseEvent.REPORT_FOLLOW_UP))
    db.session.commit()
    rows = db.session.execute(select(CaseHistory.seq, CaseHistory.case_version).where(CaseHistory.case_id == old.id))
    assert sorted(rows) == [(1, None), (2, None), (3, None), (4, None), (5, 5)]
    result = verify(runner)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("k1", "has no secret"),
        ("k1:a,k1:b", "appears twice"),
        ("kunci rahasia:abc", "key id"),
        ("k" * 17 + ":abc", "key id"),
    ],
)
def test_chain_keys_are_checked_at_start(value, message):
    with pytest.raises(ConfigError, match=message):
        parse_chain_keys(value)


def test_chain_keys_parse_in_order():
    assert parse_chain_keys(f" {NEW_KEY} , {OLD_KEY} ") == [("k2026", "n" * 40), ("k2025", "o" * 40)]
    assert parse_chain_keys(None) == []


def test_each_checkpoint_sends_its_global_head_to_the_independent_mailbox(app, runner, checkpoints, monkeypatch):
    from app.models.outbox import OutboxMessage

    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_RECIPIENTS", ["jangkar@inspektorat.go.id"])
    cast = make_cast()
    case_in(cast, S.AWAITING_FOLLOW_UP)
    first = checkpoint(runner)
    head = first.output.split("kepala global: ")[1].split()[0]
    (row,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "audit_checkpoint")).all()
    assert row.recipient == "jangkar@inspektorat.go.id" and head in row.body_text
    (path,) = checkpoints.glob("checkpoint-*.json")
    assert path.name in row.body_text and "Jangkar riwayat perkara" in row.subject
    checkpoint(runner)  # every checkpoint file gets its own email, once
    assert db.session.scalar(select(func.count()).where(OutboxMessage.kind == "audit_checkpoint")) == 2


def test_the_independent_mailbox_must_be_an_address(app_overrides):
    with pytest.raises(ConfigError, match="AUDIT_CHECKPOINT_RECIPIENTS"):
        create_app({**app_overrides, "AUDIT_CHECKPOINT_RECIPIENTS": "bukan-alamat"})
