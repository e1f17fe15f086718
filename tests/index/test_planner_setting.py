"""The index's aggregate runs with its own hash memory (`app.db.planner_setting`); other transactions keep the
server's setting: in a transaction it ends with the transaction, in the autocommit of a read-only API view it is
reset at once, after success and after an error."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db import db, planner_setting

pytestmark = pytest.mark.postgres


def _setting() -> str:
    return db.session.scalar(text("SELECT current_setting('hash_mem_multiplier')"))


def test_in_a_transaction_the_setting_lasts_to_its_end():
    before = _setting()
    assert before != "4"
    with planner_setting("hash_mem_multiplier", "4"):
        assert _setting() == "4"
    db.session.commit()
    assert _setting() == before


def test_a_transaction_that_fails_undoes_it():
    before = _setting()
    with pytest.raises(DBAPIError), planner_setting("hash_mem_multiplier", "4"):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    assert _setting() == before


@pytest.mark.parametrize("fails", [False, True])
def test_in_autocommit_it_is_reset_at_once(fails):
    db.session.rollback()
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    before = _setting()
    with pytest.raises(DBAPIError) if fails else nullcontext(), planner_setting("hash_mem_multiplier", "4"):
        assert _setting() == "4"
        if fails:
            db.session.execute(text("SELECT 1 / 0"))
    assert _setting() == before
    db.session.rollback()


def test_only_a_settings_name_is_taken():
    with pytest.raises(ValueError), planner_setting("work_mem; DROP TABLE cases", "1"):
        pass
