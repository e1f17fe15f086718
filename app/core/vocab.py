"""Controlled vocabularies of the field (DESIGN §1, §2, §7; DOMAIN §2, §4), with Indonesian labels."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INVESTIGATOR = "investigator"
    COMMISSIONER = "commissioner"
    PPK = "ppk"
    OVERSEER = "overseer"
    ADMIN = "admin"
    # A Bawaslu office (provincial or kabupaten/kota) that forwards reports and follows what became of them.
    FORWARDER = "forwarder"
    # A selection panel that checks candidates' records before a promotion (scoped to an agency, or national).
    PANEL = "panel"


ROLE_LABELS = {
    Role.INVESTIGATOR: "Penyelidik / analis",
    Role.COMMISSIONER: "Komisioner",
    Role.PPK: "Kantor PPK",
    Role.OVERSEER: "Pengawas (Kementerian)",
    Role.ADMIN: "Administrator",
    Role.FORWARDER: "Penerus laporan (Bawaslu)",
    Role.PANEL: "Panitia seleksi",
}


def role_label(role: str) -> str:
    """A stored role's label (a value no role has is shown as it is)."""
    return ROLE_LABELS.get(Role(role), role) if role in Role._value2member_map_ else role


# The `commissioner` role's name under a body without commissioners (BKN, and until a row says otherwise):
# the authority in force decides (app/agencies/authority.py: role_labels).
SIGNER_ROLE_LABEL = "Pejabat penanda tangan"

KASN_ROLES = frozenset({Role.INVESTIGATOR, Role.COMMISSIONER, Role.ADMIN})
# The authority's staff who work cases: log them, draft and issue recommendations, decide on follow-ups.
CASE_STAFF = frozenset({Role.INVESTIGATOR, Role.COMMISSIONER})


class Body(StrEnum):
    """Supervising ministries that receive escalations."""

    MENPANRB = "menpanrb"
    KEMENDAGRI = "kemendagri"


BODY_LABELS = {Body.MENPANRB: "Kementerian PANRB", Body.KEMENDAGRI: "Kementerian Dalam Negeri"}

# The official mailboxes escalations go to (app/escalations/routing.py TARGETS): the ministries and the rest.
ESCALATION_TARGET_LABELS = {
    Body.MENPANRB.value: BODY_LABELS[Body.MENPANRB],
    Body.KEMENDAGRI.value: BODY_LABELS[Body.KEMENDAGRI],
    "kasn": "KASN / otoritas pengawas",
    "bkn": "Badan Kepegawaian Negara",
}


class AgencyKind(StrEnum):
    KEMENTERIAN = "kementerian"
    LEMBAGA = "lembaga"
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"


AGENCY_KIND_LABELS = {
    AgencyKind.KEMENTERIAN: "Kementerian",
    AgencyKind.LEMBAGA: "Lembaga",
    AgencyKind.PROVINSI: "Pemerintah Provinsi",
    AgencyKind.KABUPATEN: "Pemerintah Kabupaten",
    AgencyKind.KOTA: "Pemerintah Kota",
}

CENTRAL_KINDS = frozenset({AgencyKind.KEMENTERIAN, AgencyKind.LEMBAGA})
REGIONAL_KINDS = frozenset({AgencyKind.PROVINSI, AgencyKind.KABUPATEN, AgencyKind.KOTA})

TIMEZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


class Category(StrEnum):
    NETRALITAS = "netralitas"
    PERBUATAN_TIDAK_MENYENANGKAN = "perbuatan_tidak_menyenangkan"
    MASALAH_RUMAH_TANGGA = "masalah_rumah_tangga"
    PERBUATAN_SEWENANG_WENANG = "perbuatan_sewenang_wenang"
    KODE_ETIK_LAINNYA = "kode_etik_lainnya"


CATEGORY_LABELS = {
    Category.NETRALITAS: "Netralitas ASN",
    Category.PERBUATAN_TIDAK_MENYENANGKAN: "Perbuatan tidak menyenangkan",
    Category.MASALAH_RUMAH_TANGGA: "Masalah rumah tangga",
    Category.PERBUATAN_SEWENANG_WENANG: "Perbuatan sewenang-wenang",
    Category.KODE_ETIK_LAINNYA: "Pelanggaran kode etik / kode perilaku lainnya",
}

# Neutrality sub-types (SKB 2/2022 Lampiran II; KASN statistics categories, DOMAIN §4), then the acts of PP 94/2021
# Pasal 5 huruf n the first list missed (angka 2, 3, 4 and 7) and the spouse of a candidate (SKB 2/2022 tabel kode
# etik butir 7; SE MenPAN-RB 18/2023). Stored values never change; the legal source of each, and the sanction it
# suggests, are in app/core/sanction_rules.py (ACT_RULES).
NEUTRALITY_SUBCATEGORIES = {
    "kampanye_medsos": "Kampanye / sosialisasi di media sosial",
    "kegiatan_keberpihakan": "Kegiatan yang mengarah pada keberpihakan",
    "foto_bersama_simbol": "Foto bersama calon / simbol tangan",
    "menghadiri_deklarasi": "Menghadiri deklarasi / kampanye",
    "pendekatan_parpol": "Pendekatan ke partai politik",
    "memasang_alat_peraga": "Memasang spanduk / baliho / alat peraga",
    "deklarasi_bakal_calon": "Mendeklarasikan diri sebagai bakal calon",
    "keputusan_menguntungkan": "Keputusan yang menguntungkan / merugikan calon",
    "anggota_parpol": "Anggota / pengurus partai politik",
    "tim_pemenangan": "Tim ahli / pemenangan / konsultan",
    "like_share_comment": "Like, share, comment, bergabung grup pemenangan",
    "kampanye_atribut": "Peserta kampanye dengan atribut partai atau atribut PNS",
    "mengerahkan_pns": "Peserta kampanye dengan mengerahkan PNS lain",
    "fasilitas_negara": "Peserta kampanye dengan menggunakan fasilitas negara",
    "surat_dukungan_ktp": "Memberikan surat dukungan disertai fotokopi KTP / surat keterangan tanda penduduk",
    "pendamping_pasangan_cltn": "Mendampingi suami/istri yang menjadi calon, dalam status CLTN (SE MenPAN-RB 18/2023)",
    "kampanye_pasangan_tanpa_cltn": "Mengikuti deklarasi / kampanye suami atau istri calon tanpa CLTN",
}


class Source(StrEnum):
    BAWASLU = "bawaslu"
    PUBLIC = "public"
    MEDIA = "media"
    MONITORING = "monitoring"
    AGENCY = "agency"


SOURCE_LABELS = {
    Source.BAWASLU: "Penerusan Bawaslu",
    Source.PUBLIC: "Pengaduan masyarakat",
    Source.MEDIA: "Pemberitaan media",
    Source.MONITORING: "Pemantauan mandiri",
    Source.AGENCY: "Laporan instansi",
}


class Sanction(StrEnum):
    """Sanction levels, lightest first (order matters: it decides 'lighter than recommended')."""

    SANKSI_MORAL_TERTUTUP = "sanksi_moral_tertutup"
    SANKSI_MORAL_TERBUKA = "sanksi_moral_terbuka"
    DISIPLIN_RINGAN = "disiplin_ringan"
    DISIPLIN_SEDANG = "disiplin_sedang"
    DISIPLIN_BERAT = "disiplin_berat"
    PTDH = "ptdh"


SANCTION_ORDER = {s: i for i, s in enumerate(Sanction)}

SANCTION_LABELS = {
    Sanction.SANKSI_MORAL_TERTUTUP: "Sanksi moral (pernyataan tertutup)",
    Sanction.SANKSI_MORAL_TERBUKA: "Sanksi moral (pernyataan terbuka)",
    Sanction.DISIPLIN_RINGAN: "Hukuman disiplin ringan",
    Sanction.DISIPLIN_SEDANG: "Hukuman disiplin sedang",
    Sanction.DISIPLIN_BERAT: "Hukuman disiplin berat",
    Sanction.PTDH: "Pemberhentian tidak dengan hormat (PTDH)",
}

# Concrete forms (PP 94/2021 Ps 8, PP 42/2004 Ps 15, legacy PP 53/2010, PPPK).
SANCTION_FORMS = {
    "teguran_lisan": "Teguran lisan (PP 94/2021)",
    "teguran_tertulis": "Teguran tertulis (PP 94/2021)",
    "pernyataan_tidak_puas": "Pernyataan tidak puas secara tertulis (PP 94/2021)",
    "potong_tpp_25_6": "Pemotongan tunjangan kinerja 25% selama 6 bulan (PP 94/2021)",
    "potong_tpp_25_9": "Pemotongan tunjangan kinerja 25% selama 9 bulan (PP 94/2021)",
    "potong_tpp_25_12": "Pemotongan tunjangan kinerja 25% selama 12 bulan (PP 94/2021)",
    "penurunan_jabatan_12": "Penurunan jabatan setingkat lebih rendah 12 bulan (PP 94/2021)",
    "pembebasan_jabatan_12": "Pembebasan dari jabatan menjadi pelaksana 12 bulan (PP 94/2021)",
    "pemberhentian_dengan_hormat": "Pemberhentian dengan hormat tidak atas permintaan sendiri (PP 94/2021)",
    "pernyataan_tertutup": "Pernyataan secara tertutup (PP 42/2004 Ps 15)",
    "pernyataan_terbuka": "Pernyataan secara terbuka (PP 42/2004 Ps 15)",
    "legacy_penundaan_kgb": "Penundaan kenaikan gaji berkala 1 tahun (PP 53/2010)",
    "legacy_penundaan_pangkat": "Penundaan kenaikan pangkat 1 tahun (PP 53/2010)",
    "legacy_penurunan_pangkat": "Penurunan pangkat setingkat lebih rendah 1 tahun (PP 53/2010)",
    # A PPPK's contract ends where a PNS is dismissed (UU 5/2014 Pasal 105; PP 49/2018 Bab IX): see
    # app/core/sanction_rules.py, which also says which form belongs to which level.
    "pemutusan_pk_dengan_hormat": (
        "Pemutusan hubungan perjanjian kerja dengan hormat tidak atas permintaan sendiri (PPPK)"
    ),
    "pemutusan_pk_tidak_dengan_hormat": "Pemutusan hubungan perjanjian kerja tidak dengan hormat (PPPK)",
}


def is_lighter(imposed: str, recommended: str) -> bool:
    """True when the imposed sanction is lighter than the recommended one."""
    return SANCTION_ORDER[Sanction(imposed)] < SANCTION_ORDER[Sanction(recommended)]
