"""The open data's descriptions: the data dictionary, the DCAT catalogue (W3C Data Catalog Vocabulary, as
JSON-LD) and a frozen IM-NKK snapshot's public part.

Satu Data Indonesia (Perpres 39/2019) asks for data with metadata in a standard structure; its regional portals run
CKAN, whose catalogue interchange format is DCAT (the ckanext-dcat extension, `catalog.jsonld`). The catalogue
here is plain DCAT 2 (dcat:Catalog, dcat:Dataset, dcat:Distribution, dct:license, dct:issued, dct:modified,
owl:versionInfo), so such a portal can harvest it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from app.index.snapshots import snapshot_result
from app.models.index import IndexSnapshot
from app.public import definitions
from app.public import release as releases

# The dictionary changes only with the schema version: its Last-Modified is that version's date.
DICTIONARY_DATE = datetime(2026, 12, 7, tzinfo=UTC)

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def dictionary_body() -> str:
    return json.dumps(definitions.dictionary(), ensure_ascii=False, separators=(",", ":"))


def dcat_body(base_url: str) -> tuple[str, datetime]:
    """The catalogue of the published years, and its last modification (the newest release, or the schema's)."""
    datasets = []
    modified = DICTIONARY_DATE
    for row in releases.release_years():
        if not releases.is_published(row["year"]):
            continue
        year, version = row["year"], row["version"]
        modified = max(modified, row["released_at"])
        json_url = f"{base_url}/api/v1/public/years/{year}/figures.json"
        csv_url = f"{base_url}/api/v1/public/years/{year}/figures.csv"
        datasets.append(
            {
                "@id": json_url.rsplit("/", 1)[0],
                "@type": "dcat:Dataset",
                "dct:identifier": f"tindak-angka-publik-{year}",
                "dct:title": [
                    {"@language": "id", "@value": f"Tindak lanjut rekomendasi pelanggaran NKK ASN {year}"},
                    {"@language": "en", "@value": f"Follow-up of ASN ethics recommendations {year}"},
                ],
                "dct:description": [
                    {
                        "@language": "id",
                        "@value": "Perkara, rekomendasi, tindak lanjut tepat waktu dan terlambat, "
                        "eskalasi, rekomendasi terbuka per tingkat, kesesuaian sanksi dan skor penegakan IM-NKK, per "
                        "instansi, provinsi dan bulan. Angka di bawah ambang disamarkan.",
                    },
                    {
                        "@language": "en",
                        "@value": "Cases, recommendations, follow-ups on time and late, "
                        "escalations, open recommendations per level, sanction conformity and the IM-NKK penegakan "
                        "score, per agency, province and month. Counts below the threshold are suppressed.",
                    },
                ],
                "dct:temporal": {
                    "@type": "dct:PeriodOfTime",
                    "dcat:startDate": {"@type": "xsd:date", "@value": f"{year}-01-01"},
                    "dcat:endDate": {"@type": "xsd:date", "@value": f"{year}-12-31"},
                },
                "dct:spatial": {"@id": "http://publications.europa.eu/resource/authority/country/IDN"},
                "dct:issued": {"@type": "xsd:dateTime", "@value": row["released_at"].isoformat()},
                "dct:modified": {"@type": "xsd:dateTime", "@value": row["checked_at"].isoformat()},
                "owl:versionInfo": str(version),
                "dct:license": {"@id": definitions.LICENCE["url"]},
                "dct:conformsTo": {"@id": f"{base_url}/api/v1/public/dictionary"},
                "dcat:keyword": ["ASN", "kode etik", "netralitas", "tindak lanjut", "IM-NKK"],
                "dcat:landingPage": {"@id": f"{base_url}/publik?tahun={year}"},
                "dcat:distribution": _distributions(csv_url, json_url),
            }
        )
    for row in releases.release_elections():
        if not releases.is_published(0, row["election_id"]):
            continue
        modified = max(modified, row["released_at"])
        datasets.append(_election_dataset(base_url, row))
    catalog = {
        "@context": CONTEXT,
        "@id": f"{base_url}/api/v1/public/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": [
            {"@language": "id", "@value": "Tindak — data terbuka penegakan NKK ASN"},
            {"@language": "en", "@value": "Tindak — open data on ASN ethics enforcement"},
        ],
        "dct:language": "id",
        "dct:license": {"@id": definitions.LICENCE["url"]},
        "dct:modified": {"@type": "xsd:dateTime", "@value": modified.isoformat()},
        "foaf:homepage": {"@id": f"{base_url}/publik"},
        "dcat:dataset": datasets,
    }
    return json.dumps(catalog, ensure_ascii=False, separators=(",", ":")), modified


def _distributions(csv_url: str, json_url: str) -> list[dict[str, Any]]:
    """A dataset's CSV and JSON files as DCAT distributions."""
    return [
        {
            "@type": "dcat:Distribution",
            "dcat:accessURL": {"@id": url},
            "dcat:downloadURL": {"@id": url},
            "dcat:mediaType": media,
            "dct:format": fmt,
            "dct:license": {"@id": definitions.LICENCE["url"]},
        }
        for url, media, fmt in ((csv_url, "text/csv", "CSV"), (json_url, "application/json", "JSON"))
    ]


def _election_dataset(base_url: str, row: dict[str, Any]) -> dict[str, Any]:
    """An election's figures as a DCAT dataset (its period is the election's)."""
    election = row["election"]
    base = f"{base_url}/api/v1/public/elections/{row['election_id']}"
    return {
        "@id": base,
        "@type": "dcat:Dataset",
        "dct:identifier": f"tindak-angka-publik-pemilu-{row['election_id']}",
        "dct:title": [
            {"@language": "id", "@value": f"Tindak lanjut rekomendasi pelanggaran netralitas ASN: {election['name']}"},
            {"@language": "en", "@value": f"Follow-up of ASN neutrality recommendations: {election['name']}"},
        ],
        "dct:description": [
            {"@language": "id", "@value": "Angka yang sama dengan berkas tahunan, untuk perkara yang ditautkan ke "
             "pemilu ini, per instansi dan provinsi. Angka di bawah ambang disamarkan."},
            {"@language": "en", "@value": "The same figures as the yearly files, for the cases linked to this "
             "election, per agency and province. Counts below the threshold are suppressed."},
        ],
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@type": "xsd:date", "@value": election["starts_on"]},
            "dcat:endDate": {"@type": "xsd:date", "@value": election["ends_on"]},
        },
        "dct:spatial": {"@id": "http://publications.europa.eu/resource/authority/country/IDN"},
        "dct:issued": {"@type": "xsd:dateTime", "@value": row["released_at"].isoformat()},
        "dct:modified": {"@type": "xsd:dateTime", "@value": row["checked_at"].isoformat()},
        "owl:versionInfo": str(row["version"]),
        "dct:license": {"@id": definitions.LICENCE["url"]},
        "dct:conformsTo": {"@id": f"{base_url}/api/v1/public/dictionary"},
        "dcat:keyword": ["ASN", "netralitas", "pemilu", "tindak lanjut"],
        "dcat:landingPage": {"@id": f"{base_url}/publik?pemilu={row['election_id']}"},
        "dcat:distribution": _distributions(f"{base}/figures.csv", f"{base}/figures.json"),
    }  # fmt: skip


def snapshot_body(snapshot: IndexSnapshot, threshold: int) -> str:
    """A frozen snapshot's penegakan per agency (agencies below the threshold of recommendations left out)."""
    result = snapshot_result(snapshot)
    items = []
    for item in result["items"]:
        received = int((item.get("enforcement") or {}).get("received") or 0)
        score = (item.get("criteria") or {}).get("penegakan")
        if received < threshold or score is None:
            continue
        items.append({"code": item["agency_code"], "name": item["agency_name"], "penegakan": round(float(score), 2)})
    body = {
        "dataset": "tindak-imnkk-penegakan",
        "year": snapshot.year,
        "snapshot_id": snapshot.id,
        "method_version": snapshot.method_version,
        "frozen_at": snapshot.frozen_at.isoformat(),
        "lifted_at": snapshot.lifted_at.isoformat() if snapshot.lifted_at else None,
        "threshold": threshold,
        "licence": definitions.LICENCE,
        "items": items,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
