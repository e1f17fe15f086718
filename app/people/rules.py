"""The rules of a record check before a promotion, as data with their sources: which period of the record a
selection panel reads, which sanctions count against a candidate, whether a case still in process counts, and
how long each imposed sanction runs.

What was found (the sources are quoted in `CHECK_RULES`, and the help page and README say the same):

1. JPT candidates must have "rekam jejak Jabatan, integritas, dan moralitas yang baik" — PP 11/2017 as amended by
   PP 17/2020, Pasal 107 (JPT utama, madya, pratama) and Pasal 108 (from outside the PNS). The regulation sets no
   period for the record.
2. The period is set by each open selection's announcement, under PermenPANRB 15/2019 (not found in its text): a
   typical one reads "tidak pernah dijatuhi hukuman disiplin tingkat sedang dan/atau berat dalam kurun waktu 3
   tahun terakhir, serta tidak sedang menjalani hukuman disiplin/tidak dalam proses pemeriksaan pelanggaran
   disiplin"; the KPK's 2022 selection: "tidak sedang dalam proses pemeriksaan pelanggaran disiplin dan atau
   menjalani hukuman disiplin sedang atau berat". Three years is therefore the default, and the panel may state
   its announcement's period (1-10 years) with each check.
3. A case still in process counts ("tidak dalam proses pemeriksaan"): the panel sees a case once the authority
   has decided it (the recommendation issued), still open or not; a case the authority has not decided yet
   (reported, under review, a draft) and a dismissed one are never shown.
4. How long an imposed sanction runs, to say whether the candidate is still serving it: PP 94/2021 Pasal 8 ayat
   (3)-(4) (6, 9 or 12 months of the 25 % cut; 12 months of demotion or release from office).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.states import CaseStatus
from app.core.vocab import Sanction


@dataclass(frozen=True)
class CheckRule:
    code: str
    label: str
    years: int  # the default period, counted back from the day of the check
    min_years: int
    max_years: int
    counted: frozenset[Sanction]  # sanctions that count against the candidate within the period
    in_process_counts: bool
    sources: tuple[tuple[str, str], ...]  # (what it says, where it was read)


JPT = CheckRule(
    code="jpt",
    label="Seleksi terbuka Jabatan Pimpinan Tinggi (JPT)",
    years=3,
    min_years=1,
    max_years=10,
    counted=frozenset({Sanction.DISIPLIN_SEDANG, Sanction.DISIPLIN_BERAT, Sanction.PTDH}),
    in_process_counts=True,
    sources=(
        (
            "PP 11/2017 jo. PP 17/2020 Pasal 107: rekam jejak jabatan, integritas, dan moralitas yang baik",
            "http://online.flipbuilder.com/abgzo/wiyr/files/basic-html/page12.html",
        ),
        (
            "Pengumuman seleksi terbuka JPT: tidak pernah dijatuhi hukuman disiplin tingkat sedang dan/atau berat "
            "dalam 3 tahun terakhir, tidak sedang menjalani hukuman disiplin / dalam proses pemeriksaan",
            "https://123dok.com/document/q774eekq-c-persyaratan-khusus.html",
        ),
        (
            "Seleksi JPT KPK 2022: tidak sedang dalam proses pemeriksaan pelanggaran disiplin dan/atau menjalani "
            "hukuman disiplin sedang atau berat",
            "https://m.tribunnews.com/amp/nasional/2022/02/15/kpk-buka-lowongan-untuk-11-jabatan-pendaftaran-sampai-28-februari-2022-simak-syarat-syaratnya?page=2",
        ),
        (
            "PP 94/2021 Pasal 8 ayat (3)-(4): lama hukuman disiplin sedang dan berat",
            "https://bkpp.demakkab.go.id/2021/11/penyampaian-materi-diklat-pppk-angkatan.html",
        ),
    ),
)

CHECK_RULES = {JPT.code: JPT}
DEFAULT_RULE = JPT.code

# The states a panel sees: decided by the authority (the recommendation issued), open or ended. Never one the
# authority has not decided, nor a dismissed case (no violation found).
DECIDED_STATUSES = frozenset(
    {
        CaseStatus.AWAITING_FOLLOW_UP,
        CaseStatus.CLARIFICATION_REQUESTED,
        CaseStatus.FOLLOW_UP_REPORTED,
        CaseStatus.COMPLETED,
        CaseStatus.CLOSED,
    }
)
IN_PROCESS_STATUSES = frozenset(
    {CaseStatus.AWAITING_FOLLOW_UP, CaseStatus.CLARIFICATION_REQUESTED, CaseStatus.FOLLOW_UP_REPORTED}
)

# How many months an imposed form runs (PP 94/2021 Pasal 8; PP 53/2010 for its old one-year forms).
FORM_MONTHS = {
    "potong_tpp_25_6": 6,
    "potong_tpp_25_9": 9,
    "potong_tpp_25_12": 12,
    "penurunan_jabatan_12": 12,
    "pembebasan_jabatan_12": 12,
    "legacy_penundaan_kgb": 12,
    "legacy_penundaan_pangkat": 12,
    "legacy_penurunan_pangkat": 12,
}
