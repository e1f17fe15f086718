"""The rules in force on sanctions, as data with their sources, and the one function that decides whether a
sanction fits (`sanction_problem`): drafting, the clarification answer, the PPK's follow-up and the import all
call it.

1. **Level and form belong together** (PP 94/2021 Pasal 8): ringan = teguran lisan, teguran tertulis,
   pernyataan tidak puas secara tertulis (ayat 2); sedang = pemotongan tunjangan kinerja 25% selama 6, 9 or 12
   bulan (ayat 3); berat = penurunan jabatan setingkat lebih rendah 12 bulan, pembebasan dari jabatan menjadi
   jabatan pelaksana 12 bulan, pemberhentian dengan hormat tidak atas permintaan sendiri sebagai PNS (ayat 4).
   Sources: https://bkpp.demakkab.go.id/2021/11/penyampaian-materi-diklat-pppk-angkatan.html (text of Pasal 8);
   https://m.tribunnews.com/amp/nasional/2021/09/14/keluar-aturan-baru-pns-tidak-netral-saat-pemilu-diberhentikan?page=2
   Sanksi moral is a statement "secara tertutup" or "secara terbuka" (PP 42/2004 Pasal 15 ayat 3;
   https://www.hukamanews.com/nasional/46010626426/pns-harus-netral-di-medsos-selama-pemilu-dilarang-like-dan-share-begini-aturannya-dan-sanksinya?page=2).
   The forms of PP 53/2010 kept for recommendations issued before PP 94/2021 are all of level sedang
   (Pasal 7 ayat 3: penundaan KGB 1 tahun, penundaan kenaikan pangkat 1 tahun, penurunan pangkat setingkat lebih
   rendah 1 tahun; https://kabartujuhsatu.news/2020/11/bkn-ingatkan-asn-jaga-netralitas-di.html).
   PTDH has no form of its own (UU 5/2014 Pasal 87 ayat 4): the form stays empty, except for a PPPK (below).

2. **PPPK** (Pegawai Pemerintah dengan Perjanjian Kerja). PP 49/2018 Pasal 52: the PPK of each agency sets the
   PPPK's discipline by the agency's characteristics, and the procedure follows the rules on the discipline of
   PNS (BKN, https://denpasar.bkn.go.id/kms/_export/xhtml/ensiklopedia:disiplin_pppk ;
   https://sekola.web.id/2023/01/pengenaan-sanksi-disiplin-dan-jangka.html?m=1). A PPPK is not a PNS and has no
   pangkat (https://cpns.kompas.com/read/2025/01/10/083142088/perbedaan-pns-dan-pppk-masa-kerja-proses-seleksi-dan-batas-usia?page=2),
   so the forms that dismiss "sebagai PNS" or act on a pangkat do not apply; a PPPK's contract is ended instead:
   "dengan hormat tidak atas permintaan sendiri" for a heavy breach of discipline, "tidak dengan hormat" e.g.
   for party membership (UU 5/2014 Pasal 105 ayat 2 huruf b and ayat 3; PP 49/2018 Bab IX;
   https://sregepsinaumaca.blogspot.com/2022/06/hati-hati-ini-penyebab-guru-pppk.html). UU 20/2023 asks for new
   implementing regulations (https://m.jpnn.com/news/6-hal-penting-di-uu-20-tahun-2023-terkait-honorer-pppk-si-bodong-fokus-poin-5);
   none replacing PP 49/2018 on PPPK discipline was found, so it is taken as still in force [unverified].

3. **Who is a PPPK.** A case does not record it (the "Terlapor adalah PPPK" box of the case form only lets the
   NIP parser accept an NI PPPK; no column keeps it). It is read from the number: a PNS NIP carries the month of
   appointment (01-12) in digits 13-14 (Perka BKN 22/2007, app/core/nip.py); an NI PPPK carries something else
   there (the number of contracts, https://foppsirokanhulu.blogspot.com/2024/03/apa-perbedaan-nip-pns-dan-ni-pppk.html ;
   "21" in practice, DOMAIN §8), which app/core/nip.py accepts only for a PPPK. So digits 13-14 above 12 mean
   PPPK, 01-12 mean PNS. The import's "jenis pegawai" column, when given, says it outright.

4. **The act-to-sanction table** of SKB 2/2022 (Lampiran II, the disiplin table; KemenPAN-RB 2/2022, Mendagri
   800-5474/2022, BKN 246/2022, KASN 30/2022, Bawaslu 1447.1/PM.01/K.1/09/2022, 22 Sep 2022), with the acts of
   PP 94/2021 Pasal 5 huruf n (angka 1-7) and Pasal 14 huruf i (angka 3-7 are berat): Kompas 6 Nov 2023 (the
   table with its sanctions), mediaduta.id Oct 2024 (its 13 rows), sindonews 14 Sep 2021 (Pasal 5 huruf n) and
   the tribunnews page above. The same SKB's kode etik table lists several acts again with sanksi moral
   (tertutup/terbuka, PP 42/2004 Pasal 15), among them following the declaration or campaign of one's spouse
   without CLTN (rbg.id 22 Sep 2023). SE MenPAN-RB 18/2023: an ASN on CLTN may accompany a spouse who is a
   candidate, attend the spouse's campaign without taking part, and be photographed with the spouse without hand
   symbols (waktu.news; https://medan.bkn.go.id/?p=7882). Full addresses: README, "Rules in force". The
   suggestion is only a suggestion: the drafter chooses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from app.core.nip import normalize_nip
from app.core.vocab import NEUTRALITY_SUBCATEGORIES, SANCTION_FORMS, SANCTION_LABELS, Category, Sanction


def N_(text: str) -> str:
    """Marks a text for the message catalogue; the page that shows it translates it."""
    return text


class Employee(StrEnum):
    PNS = "pns"
    PPPK = "pppk"


EMPLOYEE_LABELS = {Employee.PNS: "PNS", Employee.PPPK: "PPPK"}

S = Sanction

# Which forms belong to which level, and the rule that says so (in the refusal's words).
FORMS_BY_LEVEL: dict[Sanction, tuple[str, ...]] = {
    S.SANKSI_MORAL_TERTUTUP: ("pernyataan_tertutup",),
    S.SANKSI_MORAL_TERBUKA: ("pernyataan_terbuka",),
    S.DISIPLIN_RINGAN: ("teguran_lisan", "teguran_tertulis", "pernyataan_tidak_puas"),
    S.DISIPLIN_SEDANG: (
        "potong_tpp_25_6",
        "potong_tpp_25_9",
        "potong_tpp_25_12",
        "legacy_penundaan_kgb",
        "legacy_penundaan_pangkat",
        "legacy_penurunan_pangkat",
    ),
    S.DISIPLIN_BERAT: (
        "penurunan_jabatan_12",
        "pembebasan_jabatan_12",
        "pemberhentian_dengan_hormat",
        "pemutusan_pk_dengan_hormat",
    ),
    S.PTDH: ("pemutusan_pk_tidak_dengan_hormat",),
}
LEVEL_RULES: dict[Sanction, str] = {
    S.SANKSI_MORAL_TERTUTUP: "PP 42/2004 Pasal 15 ayat (3)",
    S.SANKSI_MORAL_TERBUKA: "PP 42/2004 Pasal 15 ayat (3)",
    S.DISIPLIN_RINGAN: "PP 94/2021 Pasal 8 ayat (2)",
    S.DISIPLIN_SEDANG: "PP 94/2021 Pasal 8 ayat (3); PP 53/2010 Pasal 7 ayat (3) untuk rekomendasi lama",
    S.DISIPLIN_BERAT: "PP 94/2021 Pasal 8 ayat (4); bagi PPPK: UU 5/2014 Pasal 105 ayat (2) huruf b",
    S.PTDH: "UU 5/2014 Pasal 87 ayat (4); bagi PPPK: UU 5/2014 Pasal 105 ayat (3)",
}
# Forms that presuppose the status of a PNS (a pangkat, dismissal "sebagai PNS"), and the PPPK's own.
PNS_ONLY_FORMS = frozenset({"legacy_penundaan_pangkat", "legacy_penurunan_pangkat", "pemberhentian_dengan_hormat"})
PPPK_ONLY_FORMS = frozenset({"pemutusan_pk_dengan_hormat", "pemutusan_pk_tidak_dengan_hormat"})
EMPLOYEE_RULES = {
    Employee.PPPK: "PP 49/2018 Pasal 52 dan Bab IX; PPPK bukan PNS dan tidak berpangkat",
    Employee.PNS: "bentuk ini hanya bagi PPPK: PP 49/2018 Bab IX; UU 5/2014 Pasal 105",
}

assert {f for forms in FORMS_BY_LEVEL.values() for f in forms} == set(SANCTION_FORMS), "every form has one level"
assert set(SANCTION_FORMS) >= PNS_ONLY_FORMS | PPPK_ONLY_FORMS


def employee_of_nip(nip: str | None) -> Employee | None:
    """PPPK when digits 13-14 of the number cannot be a month of appointment (above 12), PNS when they can;
    None for a number that is not 18 digits (see the module's note 3)."""
    value = normalize_nip(nip or "")
    if len(value) != 18 or not value.isdigit():
        return None
    return Employee.PPPK if int(value[12:14]) > 12 else Employee.PNS


def forms_for(level: str, employee: Employee | None = None) -> tuple[str, ...]:
    """The forms that may go with `level` (for `employee` when known), in the order of the regulation."""
    forms = FORMS_BY_LEVEL.get(Sanction(level), ()) if level in Sanction._value2member_map_ else ()
    if employee is Employee.PPPK:
        return tuple(f for f in forms if f not in PNS_ONLY_FORMS)
    if employee is Employee.PNS:
        return tuple(f for f in forms if f not in PPPK_ONLY_FORMS)
    return forms


def _short(form: str) -> str:
    """A form's label without its "(PP …)" tail, for lists inside a sentence."""
    return re.sub(r"\s*\([^)]*\)$", "", SANCTION_FORMS.get(form, form))


def sanction_problem(level: str | None, form: str | None, *, employee: Employee | None = None) -> str | None:
    """Why `form` cannot go with the sanction `level` (for `employee`, when known), in Indonesian and naming the
    rule; None when it can (or when there is nothing to check: no level or no form). The one rule every place
    that takes a sanction applies; unknown values are the vocabulary's business, not this function's."""
    if not level or not form or level not in Sanction._value2member_map_ or form not in SANCTION_FORMS:
        return None
    sanction = Sanction(level)
    level_label = SANCTION_LABELS[sanction]
    form_label = _short(form)
    if form not in FORMS_BY_LEVEL[sanction]:
        allowed = forms_for(level, employee)
        if allowed:
            fitting = "bentuk yang sesuai: " + "; ".join(_short(f) for f in allowed)
        else:
            fitting = "tingkat ini tidak mempunyai bentuk sanksi tersendiri, kosongkan bentuk sanksi"
        return (
            f"Bentuk sanksi \u201c{form_label}\u201d tidak sesuai dengan tingkat \u201c{level_label}\u201d "
            f"({LEVEL_RULES[sanction]}); {fitting}."
        )
    if employee is Employee.PPPK and form in PNS_ONLY_FORMS:
        allowed = forms_for(level, employee)
        return (
            f"Bentuk sanksi \u201c{form_label}\u201d tidak berlaku bagi terlapor yang berstatus PPPK "
            f"({EMPLOYEE_RULES[Employee.PPPK]}); bentuk yang sesuai: {'; '.join(_short(f) for f in allowed)}."
        )
    if employee is Employee.PNS and form in PPPK_ONLY_FORMS:
        allowed = forms_for(level, employee)
        fitting = "; ".join(_short(f) for f in allowed) or "kosongkan bentuk sanksi"
        return (
            f"Bentuk sanksi \u201c{form_label}\u201d tidak berlaku bagi terlapor yang berstatus PNS "
            f"({EMPLOYEE_RULES[Employee.PNS]}); bentuk yang sesuai: {fitting}."
        )
    return None


# -- the suggestion: SKB 2/2022's act-to-sanction table ---------------------------------------------------------


@dataclass(frozen=True)
class ActRule:
    """What SKB 2/2022 (with PP 94/2021 Pasal 5 huruf n and SE MenPAN-RB 18/2023) says of one neutrality act.

    `sanction` is the level suggested (None: the act is not a violation within its limits, or the table gives
    none); `ethics_table`: the SKB's kode etik table lists the act too (sanksi moral tertutup/terbuka, PP 42/2004
    Pasal 15); `source` names the rows and articles; `note` is shown beside the suggestion (a catalogue text)."""

    act: str
    sanction: Sanction | None
    source: str
    ethics_table: bool = False
    note: str = ""


ACT_RULES: dict[str, ActRule] = {
    rule.act: rule
    for rule in (
        ActRule(
            "memasang_alat_peraga",
            S.DISIPLIN_BERAT,
            "SKB 2/2022 Lampiran II, tabel disiplin butir 1",
            ethics_table=True,
        ),
        ActRule(
            "kampanye_medsos", S.DISIPLIN_BERAT, "SKB 2/2022 Lampiran II, tabel disiplin butir 2", ethics_table=True
        ),
        ActRule("pendekatan_parpol", S.DISIPLIN_SEDANG, "SKB 2/2022 Lampiran II, tabel disiplin butir 3"),
        ActRule(
            "menghadiri_deklarasi",
            S.DISIPLIN_BERAT,
            "SKB 2/2022 Lampiran II, tabel disiplin butir 4; PP 94/2021 Pasal 5 huruf n angka 1",
            ethics_table=True,
        ),
        ActRule(
            "anggota_parpol",
            S.PTDH,
            "SKB 2/2022 Lampiran II, tabel disiplin butir 5; UU 5/2014 Pasal 87 ayat (4) huruf c",
        ),
        ActRule(
            "like_share_comment",
            S.DISIPLIN_BERAT,
            "SKB 2/2022 Lampiran II, tabel disiplin butir 6",
            ethics_table=True,
        ),
        ActRule(
            "foto_bersama_simbol",
            S.DISIPLIN_BERAT,
            "SKB 2/2022 Lampiran II, tabel disiplin butir 7",
            ethics_table=True,
            note=N_(
                "Foto bersama suami/istri sendiri yang menjadi calon, tanpa simbol keberpihakan, tidak dilarang "
                "(SE MenPAN-RB 18/2023): pilih subkategori pendampingan pasangan."
            ),
        ),
        ActRule(
            "kegiatan_keberpihakan",
            S.DISIPLIN_BERAT,
            "SKB 2/2022 Lampiran II, tabel disiplin butir 8; PP 94/2021 Pasal 5 huruf n angka 6 jo. Pasal 14 huruf i",
        ),
        ActRule(
            "tim_pemenangan",
            S.DISIPLIN_SEDANG,
            "SKB 2/2022 Lampiran II, tabel disiplin butir 9",
            note=N_(
                "Saran ini untuk perbuatan sebelum penetapan peserta pemilu/pemilihan (butir 9); sesudah penetapan "
                "berlaku butir 10, yang tingkat sanksinya belum terverifikasi."
            ),
        ),
        ActRule(
            "surat_dukungan_ktp",
            S.DISIPLIN_BERAT,
            "PP 94/2021 Pasal 5 huruf n angka 7 jo. Pasal 14 huruf i; SKB 2/2022 Lampiran II, tabel disiplin butir 11",
        ),
        ActRule(
            "keputusan_menguntungkan",
            S.DISIPLIN_BERAT,
            "PP 94/2021 Pasal 5 huruf n angka 5 jo. Pasal 14 huruf i; SKB 2/2022 Lampiran II, tabel disiplin butir 12",
        ),
        ActRule(
            "kampanye_atribut",
            S.DISIPLIN_SEDANG,
            "PP 94/2021 Pasal 5 huruf n angka 2 (hukuman disiplin sedang: Pasal 14 huruf i menyebut angka 3-7 saja)",
        ),
        ActRule("mengerahkan_pns", S.DISIPLIN_BERAT, "PP 94/2021 Pasal 5 huruf n angka 3 jo. Pasal 14 huruf i"),
        ActRule("fasilitas_negara", S.DISIPLIN_BERAT, "PP 94/2021 Pasal 5 huruf n angka 4 jo. Pasal 14 huruf i"),
        ActRule(
            "deklarasi_bakal_calon",
            None,
            "SKB 2/2022 Lampiran II, tabel disiplin butir 13",
            note=N_(
                "Perbuatan ini tidak tercantum tersendiri dalam matriks SKB 2/2022: sanksinya dibahas dan "
                "diputus oleh Satgas (butir 13)."
            ),
        ),
        ActRule(
            "pendamping_pasangan_cltn",
            None,
            "SE MenPAN-RB 18/2023",
            note=N_(
                "Bukan pelanggaran netralitas bila dalam status CLTN dan dalam batas SE MenPAN-RB 18/2023 "
                "(mendampingi, hadir tanpa terlibat aktif, foto tanpa simbol keberpihakan): pertimbangkan "
                "menghentikan perkara."
            ),
        ),
        ActRule(
            "kampanye_pasangan_tanpa_cltn",
            S.SANKSI_MORAL_TERTUTUP,
            "SKB 2/2022 Lampiran II, tabel kode etik butir 7; PP 42/2004 Pasal 15",
            note=N_("Tabel kode etik SKB 2/2022 memberi sanksi moral pernyataan tertutup atau terbuka."),
        ),
    )
}

assert set(ACT_RULES) == set(NEUTRALITY_SUBCATEGORIES), "every neutrality sub-type has its rule"

ETHICS_NOTE = N_(
    "SKB 2/2022 juga mencantumkan perbuatan ini dalam tabel pelanggaran kode etik: sanksi moral pernyataan "
    "tertutup atau terbuka (PP 42/2004 Pasal 15)."
)


@dataclass(frozen=True)
class Suggestion:
    """The sanction suggested for a case, the forms that go with it for the person, and why."""

    act: str
    sanction: Sanction | None
    forms: tuple[str, ...]
    source: str
    notes: tuple[str, ...]
    employee: Employee | None


def suggest(category: str | None, subcategory: str | None, nip: str | None = None) -> Suggestion | None:
    """The suggestion for a neutrality case of `subcategory` (None for other categories or an unknown act); its
    forms are those of the suggested level for the person `nip` identifies."""
    if category != Category.NETRALITAS.value or not subcategory or subcategory not in ACT_RULES:
        return None
    rule = ACT_RULES[subcategory]
    employee = employee_of_nip(nip)
    notes = tuple(n for n in (rule.note, ETHICS_NOTE if rule.ethics_table else "") if n)
    forms = forms_for(rule.sanction.value, employee) if rule.sanction is not None else ()
    return Suggestion(subcategory, rule.sanction, forms, rule.source, notes, employee)


def suggestion_table() -> dict[str, str | None]:
    """Sub-type → suggested level, for documents (the OpenAPI description, the help page)."""
    return {act: (rule.sanction.value if rule.sanction else None) for act, rule in ACT_RULES.items()}
