"""Users racing one case: exactly one wins, the others get 409, the history has one row for it."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.db import db
from app.models.cases import Case, CaseHistory
from tests.factories import S, case_in, make_cast

THREADS = 20


def test_twenty_conflicting_transitions_one_wins(app, token_for):
    cast = make_cast()
    case = case_in(cast, S.FOLLOW_UP_REPORTED)
    version = case.version
    case_id = case.id
    users = [cast.investigator, cast.commissioner]
    tokens = [token_for(u) for u in users]
    db.session.rollback()  # end this thread's transaction: on SQLite it would hold the write lock
    barrier = threading.Barrier(THREADS)
    results: list[tuple[str, int, str | None]] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        client = app.test_client()
        event = "accept_follow_up" if i % 2 == 0 else "reject_follow_up"
        body = {"event": event, "version": version}
        if event == "reject_follow_up":
            body["reason"] = f"Ditolak oleh utas {i}"
        barrier.wait()
        with app.app_context():  # each thread its own context, session and connection
            response = client.post(
                f"/api/v1/cases/{case_id}/transitions",
                json=body,
                headers={"Authorization": f"Bearer {tokens[i % 2]}"},
            )
            code = (response.get_json() or {}).get("error", {}).get("code")
            db.session.remove()
        with lock:
            results.append((event, response.status_code, code))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == THREADS
    statuses = sorted(status for _, status, _ in results)
    assert statuses.count(200) == 1, results
    assert statuses.count(409) == THREADS - 1, results
    assert {code for _, status, code in results if status == 409} <= {"version_conflict", "invalid_transition"}
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    assert fresh.version == version + 1
    rows = db.session.scalar(
        select(func.count()).where(
            CaseHistory.case_id == case.id, CaseHistory.event.in_(["accept_follow_up", "reject_follow_up"])
        )
    )
    assert rows == 1
