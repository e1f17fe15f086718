"""The NIP validator (DOMAIN §8)."""

from __future__ import annotations

import pytest

from app.core.nip import InvalidNIP, is_valid_nip, parse_nip


@pytest.mark.parametrize(
    "nip",
    ["198609262015051001", "19860926 201505 1 001", "196512311990032002", "199001012019031003"],
)
def test_accepts_real_shapes(nip):
    assert is_valid_nip(nip)


def test_parses_fields():
    nip = parse_nip("19860926 201505 1 001")
    assert nip.birth_date.isoformat() == "1986-09-26"
    assert (nip.appointment_year, nip.appointment_month, nip.gender, nip.sequence) == (2015, 5, "L", 1)
    assert nip.formatted == "19860926 201505 1 001"


@pytest.mark.parametrize(
    ("nip", "reason"),
    [
        ("19860926201505100", "18 digit"),
        ("1986092620150510011", "18 digit"),
        ("19860231201505 1001", "tanggal lahir"),
        ("198613262015051001", "tanggal lahir"),
        ("198609262015131001", "bulan TMT"),
        ("198609262015053001", "jenis kelamin"),
        ("198609262015051000", "000"),
        ("19860926201505100a", "angka"),
        ("198609262000051001", "18 tahun"),
    ],
)
def test_rejects(nip, reason):
    with pytest.raises(InvalidNIP, match=reason):
        parse_nip(nip)


def test_pppk_month_21_only_for_pppk():
    assert not is_valid_nip("199001012021211001")
    assert is_valid_nip("199001012021211001", pppk=True)
