"""The escalation tests' shared data: Kemendagri's escalated cases over two provinces (the digest's tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.escalations.helpers import open_case
from tests.escalations.test_digest import MONDAY, _follow_up, _with_reporter
from tests.escalations.test_sweep import sweep_at

# Ten receipt days, the earliest the latest: 14 working days later each is due (30 Oct … 12 Nov), and by Monday
# 7 Dec (the digest) each is escalated (level 2 or 3) and the earlier the receipt, the more working days late.
OPEN_RECEIVED = [date(2026, 10, day) for day in (12, 13, 14, 15, 16, 19, 20, 21, 22, 23)]
ENDED_RECEIVED = [date(2026, 10, day) for day in (26, 27, 28, 29)]
# The follow-ups of the ended four, Tuesday 1 … Friday 4 Dec 10.00 WIB: within the digest's past week.
FOLLOW_UPS = [datetime(2026, 12, day, 3, 0, tzinfo=UTC) for day in (1, 2, 3, 4)]
LIST_LINK = "http://tindak.test/cases?escalated=true"


@pytest.fixture
def provinces(make_agency, make_user):
    """Ten open escalated cases of Kemendagri over two provinces — Jawa Tengah (six: four of a kabupaten, two of
    a kota) and Bali (four: one of the province itself, three of a kabupaten) —, four more whose PPK reported in
    the past week, and one central case (Menpan-RB's). Every case has a confidential reporter."""
    drafter = make_user("investigator")
    jateng = make_agency(kind="provinsi", name="Pemerintah Provinsi Jawa Tengah", ppk_email="gub@jatengprov.go.id")
    bali = make_agency(kind="provinsi", name="Pemerintah Provinsi Bali", ppk_email="gub@baliprov.go.id")
    kab = make_agency(kind="kabupaten", name="Pemerintah Kabupaten Klaten", parent_id=jateng.id, ppk_email="b@k.go.id")
    kota = make_agency(kind="kota", name="Pemerintah Kota Semarang", parent_id=jateng.id, ppk_email="w@s.go.id")
    badung = make_agency(kind="kabupaten", name="Pemerintah Kabupaten Badung", parent_id=bali.id, ppk_email="b@b.go.id")
    central = make_agency(kind="kementerian", name="Kementerian Contoh", ppk_email="ppk@kemen.go.id")
    # Receipt order → agency: the three latest are of Klaten, Bali itself and Badung (both provinces).
    owners = [kab, bali, badung, kab, kota, badung, kab, kota, badung, kab]
    opened = [
        open_case(owner, received_on=day, drafter=drafter)[0] for owner, day in zip(owners, OPEN_RECEIVED, strict=True)
    ]
    ended = [
        open_case(owner, received_on=day, drafter=drafter)
        for owner, day in zip([kab, badung, kota, bali], ENDED_RECEIVED, strict=True)
    ]
    other = open_case(central, received_on=OPEN_RECEIVED[0], drafter=drafter)[0]
    for case in [*opened, *(c for c, _ in ended), other]:
        _with_reporter(case)
    sweep_at(FOLLOW_UPS[0] - timedelta(hours=3))  # Tuesday 1 Dec 07.00 WIB: all fifteen at level 2 or more
    for (case, rec), at in zip(ended, FOLLOW_UPS, strict=True):
        _follow_up(case, rec, at)
    sweep_at(MONDAY - timedelta(hours=2))
    return {"open": opened, "ended": [c for c, _ in ended], "central": other}
