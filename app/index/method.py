"""The IM-NKK method as data: criteria, sub-criteria, weights, enforcement formula and categories.

The defaults below are the documented method (docs/index-method.md). A deployment changes them with the
`INDEX_METHOD` configuration mapping (or a JSON file named by `INDEX_METHOD_FILE`), merged over the
defaults. Every computed score carries the method version: the declared `version` when the
configuration names one, otherwise the default version plus a fingerprint of the parameters, so two
different parameter sets never share a version.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from app.errors import DomainError

DEFAULT_VERSION = "2026.1"
CRITERIA = ("penetapan", "penerapan", "penegakan", "kesinambungan")
CASE_SUBCRITERION = "penegakan.tindak_lanjut"

DEFAULT_METHOD: dict[str, Any] = {
    "version": DEFAULT_VERSION,
    # Published results: raw score out of 300, index = score / 300 (DIY 275 -> 0.92).
    "max_score": 300,
    # Criterion weights in percent (DESIGN §6).
    "criteria": {
        "penetapan": {"label": "Penetapan kebijakan NKK", "weight": 20},
        "penerapan": {"label": "Penerapan NKK", "weight": 30},
        "penegakan": {"label": "Penegakan NKK", "weight": 40},
        "kesinambungan": {"label": "Kesinambungan sistem", "weight": 10},
    },
    # 19 sub-criteria; weights are relative within their criterion. `source`: self-assessed or cases.
    "subcriteria": {
        "penetapan.peraturan_internal": {
            "criterion": "penetapan",
            "weight": 1,
            "source": "self",
            "label": "Ketersediaan peraturan internal nilai dasar, kode etik dan kode perilaku",
        },
        "penetapan.proses_penyusunan": {
            "criterion": "penetapan",
            "weight": 1,
            "source": "self",
            "label": "Proses penyusunan kebijakan NKK",
        },
        "penetapan.relevansi_substansi": {
            "criterion": "penetapan",
            "weight": 1,
            "source": "self",
            "label": "Relevansi substansi kebijakan",
        },
        "penetapan.partisipasi": {
            "criterion": "penetapan",
            "weight": 1,
            "source": "self",
            "label": "Partisipasi pihak lain dalam penyusunan kebijakan",
        },
        "penerapan.keteladanan": {
            "criterion": "penerapan",
            "weight": 1,
            "source": "self",
            "label": "Keteladanan pimpinan (role model)",
        },
        "penerapan.agen_etika": {
            "criterion": "penerapan",
            "weight": 1,
            "source": "self",
            "label": "Agen perubahan / agent of ethics",
        },
        "penerapan.internalisasi": {
            "criterion": "penerapan",
            "weight": 1,
            "source": "self",
            "label": "Sosialisasi dan internalisasi NKK",
        },
        "penerapan.institusionalisasi": {
            "criterion": "penerapan",
            "weight": 1,
            "source": "self",
            "label": "Institusionalisasi NKK dalam sistem kerja",
        },
        "penerapan.eksternalisasi": {
            "criterion": "penerapan",
            "weight": 1,
            "source": "self",
            "label": "Eksternalisasi NKK kepada pemangku kepentingan",
        },
        "penerapan.inovasi": {
            "criterion": "penerapan",
            "weight": 1,
            "source": "self",
            "label": "Inovasi penerapan NKK",
        },
        "penerapan.survei_pemahaman": {
            "criterion": "penerapan",
            "weight": 1,
            "source": "self",
            "label": "Survei pemahaman NKK",
        },
        "penegakan.wbs": {
            "criterion": "penegakan",
            "weight": 20,
            "source": "self",
            "label": "Saluran pengaduan / whistle-blowing system",
        },
        "penegakan.mke": {
            "criterion": "penegakan",
            "weight": 20,
            "source": "self",
            "label": "Majelis Kode Etik",
        },
        "penegakan.penanganan_internal": {
            "criterion": "penegakan",
            "weight": 10,
            "source": "self",
            "label": "Penanganan pengaduan internal sampai tindak lanjut",
        },
        CASE_SUBCRITERION: {
            "criterion": "penegakan",
            "weight": 50,
            "source": "cases",
            "label": "Tindak lanjut rekomendasi pengawasan (dari data perkara)",
        },
        "kesinambungan.monev": {
            "criterion": "kesinambungan",
            "weight": 1,
            "source": "self",
            "label": "Monitoring dan evaluasi penerapan NKK",
        },
        "kesinambungan.road_map": {
            "criterion": "kesinambungan",
            "weight": 1,
            "source": "self",
            "label": "Road map pengawasan NKK",
        },
        "kesinambungan.pelaporan": {
            "criterion": "kesinambungan",
            "weight": 1,
            "source": "self",
            "label": "Pelaporan berkala",
        },
        "kesinambungan.perbaikan": {
            "criterion": "kesinambungan",
            "weight": 1,
            "source": "self",
            "label": "Perbaikan berkelanjutan atas hasil evaluasi",
        },
    },
    # The case-based sub-criterion: components in percent of it (each a share in 0..1 times 100).
    "enforcement": {
        "weights": {
            "follow_up": 30,
            "on_time": 25,
            "conformity": 15,
            "no_escalation": 15,
            "no_escalation_level3": 5,
            "speed": 10,
        },
        # Median working days to follow-up: full marks up to `speed_full_days`, none from `speed_zero_days`.
        "speed_full_days": 14,
        "speed_zero_days": 42,
    },
    # Categories by index (score / max_score), highest first; the 2022 round's names (DOMAIN §3).
    "categories": [
        {"name": "Patuh", "min_index": 0.80},
        {"name": "Cukup Patuh", "min_index": 0.60},
        {"name": "Kurang Patuh", "min_index": 0.40},
        {"name": "Tidak Patuh", "min_index": 0.0},
    ],
}

# The 2021 pilot used other names; a deployment selects them with {"categories": CATEGORY_SETS["2021"]}.
CATEGORY_SETS: dict[str, list[dict[str, Any]]] = {
    "2022": DEFAULT_METHOD["categories"],
    "2021": [
        {"name": "Tinggi", "min_index": 0.70},
        {"name": "Sedang", "min_index": 0.40},
        {"name": "Rendah", "min_index": 0.0},
    ],
}


class MethodError(DomainError):
    status = 500
    code = "index_method_invalid"


@dataclass(frozen=True)
class Method:
    """A validated, immutable parameter set of the index."""

    version: str
    params: dict[str, Any]
    _groups: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        groups = {c: tuple(k for k, s in self.params["subcriteria"].items() if s["criterion"] == c) for c in CRITERIA}
        object.__setattr__(self, "_groups", groups)

    @property
    def max_score(self) -> float:
        return float(self.params["max_score"])

    @property
    def criteria(self) -> dict[str, dict[str, Any]]:
        return self.params["criteria"]

    @property
    def subcriteria(self) -> dict[str, dict[str, Any]]:
        return self.params["subcriteria"]

    @property
    def enforcement(self) -> dict[str, Any]:
        return self.params["enforcement"]

    @property
    def categories(self) -> list[dict[str, Any]]:
        return self.params["categories"]

    def subcriteria_of(self, criterion: str) -> tuple[str, ...]:
        return self._groups[criterion]

    def self_assessed(self) -> list[str]:
        return [key for key, sub in self.subcriteria.items() if sub["source"] == "self"]

    def category_for(self, index: float) -> str:
        for category in self.categories:
            if index >= float(category["min_index"]) - 1e-12:
                return str(category["name"])
        return str(self.categories[-1]["name"])


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def fingerprint(params: dict[str, Any]) -> str:
    body = {k: v for k, v in params.items() if k != "version"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def _validate(params: dict[str, Any]) -> None:  # noqa: C901 - one check per rule, kept together
    problems: list[str] = []
    if set(params["criteria"]) != set(CRITERIA):
        problems.append(f"kriteria harus tepat {', '.join(CRITERIA)}")
    for key, criterion in params["criteria"].items():
        if float(criterion.get("weight", -1)) < 0:
            problems.append(f"bobot kriteria {key} tidak boleh negatif")
    if sum(float(c.get("weight", 0)) for c in params["criteria"].values()) <= 0:
        problems.append("jumlah bobot kriteria harus positif")
    case_subs = [k for k, s in params["subcriteria"].items() if s.get("source") == "cases"]
    if case_subs != [CASE_SUBCRITERION]:
        problems.append(f"harus ada tepat satu subkriteria dari data perkara: {CASE_SUBCRITERION}")
    for key, sub in params["subcriteria"].items():
        if sub.get("criterion") not in CRITERIA:
            problems.append(f"subkriteria {key}: kriteria tidak dikenal")
        if sub.get("source") not in ("self", "cases"):
            problems.append(f"subkriteria {key}: sumber harus 'self' atau 'cases'")
        if float(sub.get("weight", -1)) < 0:
            problems.append(f"subkriteria {key}: bobot tidak boleh negatif")
        if len(key) > 60:
            problems.append(f"subkriteria {key}: kode terlalu panjang")
    weights = params["enforcement"]["weights"]
    if any(float(w) < 0 for w in weights.values()) or sum(float(w) for w in weights.values()) <= 0:
        problems.append("bobot komponen penegakan harus non-negatif dan berjumlah positif")
    enforcement = params["enforcement"]
    if not 0 <= float(enforcement["speed_full_days"]) < float(enforcement["speed_zero_days"]):
        problems.append("speed_full_days harus lebih kecil dari speed_zero_days")
    thresholds = [float(c["min_index"]) for c in params["categories"]]
    if not thresholds or thresholds != sorted(thresholds, reverse=True) or thresholds[-1] != 0.0:
        problems.append("kategori harus urut menurun dengan ambang terakhir 0")
    if float(params["max_score"]) <= 0:
        problems.append("max_score harus positif")
    if len(str(params.get("version", ""))) > 20 or not params.get("version"):
        problems.append("versi metode wajib diisi, paling panjang 20 karakter")
    if problems:
        raise MethodError("Konfigurasi metode indeks tidak sah.", details={"problems": problems})


def build_method(override: dict[str, Any] | None = None) -> Method:
    """Merge `override` over the defaults, validate, and name the version (see module docstring)."""
    override = dict(override or {})
    params = _merge(DEFAULT_METHOD, override)
    if "categories" in override:  # a list replaces, never merges
        params["categories"] = copy.deepcopy(override["categories"])
    if "version" not in override:
        changed = fingerprint(params) != fingerprint(DEFAULT_METHOD)
        params["version"] = f"{DEFAULT_VERSION}+{fingerprint(params)}" if changed else DEFAULT_VERSION
    _validate(params)
    return Method(version=str(params["version"]), params=params)


def method_from_config(config: Any) -> Method:
    """The method of an app configuration: `INDEX_METHOD_FILE` (JSON) first, then `INDEX_METHOD` over it."""
    override: dict[str, Any] = {}
    path = config.get("INDEX_METHOD_FILE")
    if path:
        override = _merge(override, json.loads(Path(path).read_text(encoding="utf-8")))
    if config.get("INDEX_METHOD"):
        override = _merge(override, dict(config["INDEX_METHOD"]))
    return build_method(override)


def current_method() -> Method:
    cached = current_app.extensions.get("tindak.index_method")
    if cached is None:
        cached = method_from_config(current_app.config)
        current_app.extensions["tindak.index_method"] = cached
    return cached
