"""The enforcement criterion for the cases of one election: per agency, the case-based sub-criterion of penegakan
(`penegakan.tindak_lanjut`, docs/index-method.md §5) and its indicators counted over the recommendations of the
year whose case is linked to the election (`case_elections`).

What it is and is not (docs/index-method.md §14):
- the same predicates and the same formula as the index (app.index.queries, app.index.scoring), with one more
  condition: the case is linked to the election; so an election's counts are a part of the year's, and the counts
  of every election and of the cases linked to none add up to the year's;
- the year still decides which recommendations count (issued in the year, in the agency's zone): an election whose
  cases were recommended in two years is read year by year;
- not an IM-NKK: no score out of 300, no category, no other criterion (the self-assessed sub-criteria of penegakan
  are about the agency's whole system, not one election), and agencies that received no recommendation for the
  election's cases are not listed;
- always computed from live data, read only: a frozen year's snapshot is neither read nor changed (the answer says
  whether the year is frozen, so that a reader does not compare it with the published figures unawares).
"""

from __future__ import annotations

from typing import Any

from app.cases.elections import check_election, election_summary
from app.core.clock import utcnow
from app.index import queries
from app.index.access import check_index_reader, check_year, visible_agency_ids
from app.index.compute import agencies
from app.index.method import current_method
from app.index.scoring import API_ENFORCEMENT_KEYS, counts_with_defaults, rank, score_enforcement
from app.index.snapshots import latest_snapshot
from app.models.auth import User


def election_enforcement(user: User, year: int, election_id: int) -> dict[str, Any]:
    """Per agency the user may see, the case-based enforcement sub-criterion (0-100, or null with the reason) and
    its counts over the year's recommendations for the election's cases, ranked by that score (ties share a rank;
    agencies whose score cannot be measured come last, unranked). ValidationFailed (422, `election_id`) for an
    election that does not exist."""
    check_index_reader(user)
    year = check_year(year)
    election = check_election(election_id)
    method = current_method()
    as_of = utcnow()
    allowed = visible_agency_ids(user)
    listed = agencies(sorted(allowed) if allowed is not None else None)
    zones = {a["timezone"] for a in listed}
    facts = queries.enforcement_facts(year, as_of, zones, sorted(allowed) if allowed is not None else None, election.id)
    items = []
    for agency in listed:
        found = facts.get(agency["id"])
        if found is None:
            continue
        counts = counts_with_defaults(found.counts)
        median = found.median_working_days()
        scored = score_enforcement(counts, median, method)
        items.append(
            {
                "agency_id": agency["id"],
                "agency_code": agency["code"],
                "agency_name": agency["name"],
                "agency_kind": agency["kind"],
                "rank": None,
                "enforcement_score": scored["score"],
                "enforcement_note": scored["note"],
                "enforcement_components": scored["components"],
                "enforcement": {
                    **{key: counts[key] for key in API_ENFORCEMENT_KEYS if key != "median_working_days"},
                    "median_working_days": median,
                    "assessable": counts["assessable"],
                    "escalated_level3": counts["escalated_level3"],
                },
            }
        )
    return {
        "year": year,
        "election": election_summary(election),
        "method_version": method.version,
        "as_of": as_of,
        "year_frozen": latest_snapshot(year) is not None,
        "totals": _totals(items),
        "items": rank(
            items, score=lambda i: i["enforcement_score"], ranked=lambda i: i["enforcement_score"] is not None
        ),
    }


def _totals(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts over every agency listed (the median is per agency: it does not add up, and is null here)."""
    keys = [key for key in (*API_ENFORCEMENT_KEYS, "assessable", "escalated_level3") if key != "median_working_days"]
    return {**{key: sum(item["enforcement"][key] for item in items) for key in keys}, "median_working_days": None}
