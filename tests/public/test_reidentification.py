"""A reader tries to re-identify small counts from what is published, and fails.

The attacker here is written apart from app/public/suppression.py: it reads only the published files (JSON, CSV,
the page) and the relations a reader learns from the data dictionary (an agency's follow-ups = on time + late =
matching sanction + lighter sanction; recommendations = followed up + open + other; open = its four levels; a
province = the agencies with its code; the country = the provinces and the agencies outside them; the year = its
months, and so is a province's; a month of the country = its provinces' + a part never published; all cases =
received + before a recommendation). It subtracts visible cells from totals, then narrows every
hidden cell to an interval ("< 5" lies in 0…4, "x" is at least 5) until nothing changes. No "< 5" cell may come out
as one value, on the test world (an agency with 1, 2 and 6 cases) and on random worlds. The same attacker does
recover small counts when only the small cells are hidden (no complementary suppression): the attack is real.
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
from collections import Counter
from typing import Any

import pytest

from app.db import db
from app.public import release as releases
from app.public.figures import NATIONAL_ID, Tally, rollup

UNIT_RELATIONS = (
    ("followed_up", ("on_time", "late")),
    ("followed_up", ("conforming", "lighter_sanction")),
    ("recommendations_issued", ("followed_up", "open", "other_outcome")),
    ("open", ("open_within_deadline", "open_level_1", "open_level_2", "open_level_3")),
)
COUNTS = (
    "cases_received", "recommendations_issued", "followed_up", "on_time", "late", "conforming", "lighter_sanction",
    "escalated", "open", "open_within_deadline", "open_level_1", "open_level_2", "open_level_3", "other_outcome",
)  # fmt: skip
TREND = ("cases_received", "recommendations_issued", "followed_up", "on_time", "late")


def _cells_and_relations(data: dict[str, Any]) -> tuple[dict[tuple, Any], list[tuple[tuple, list[tuple]]]]:
    """The published cells {(unit, measure): value or '< n' or 'x'} and the relations a reader knows."""
    cells: dict[tuple, Any] = {}
    units = []
    for item in data["agencies"]:
        units.append((("agency", item["code"]), item["values"]))
    for item in data["provinces"]:
        units.append((("province", item["code"]), item["values"]))
    units.append((("national", 0), data["national"]["values"]))
    for month in data["trend"]:
        units.append((("month", month["month"]), month["values"]))
    for item in data["provinces"]:  # a province's trend by month
        for month in item.get("trend", []):
            units.append((("province-month", item["code"], month["month"]), month["values"]))
    for unit, values in units:
        for key, value in values.items():
            cells[(unit, key)] = value
    relations: list[tuple[tuple, list[tuple]]] = []
    for unit, values in units:
        for total, parts in UNIT_RELATIONS:
            if total in values and all(p in values for p in parts):
                relations.append(((unit, total), [(unit, p) for p in parts]))
    provinces = {p["code"] for p in data["provinces"]}
    for key in COUNTS:
        for code in provinces:
            members = [("agency", a["code"]) for a in data["agencies"] if a["province_code"] == code]
            relations.append(((("province", code), key), [(m, key) for m in members]))
        top = [("province", c) for c in provinces] + [
            ("agency", a["code"]) for a in data["agencies"] if a["province_code"] not in provinces
        ]
        relations.append(((("national", 0), key), [(t, key) for t in top]))
    if data["trend"]:  # an election's figures have no months
        for key in TREND:
            relations.append(((("national", 0), key), [(("month", m), key) for m in range(1, 13)]))
            for item in data["provinces"]:
                if item.get("trend"):
                    months = [(("province-month", item["code"], m), key) for m in range(1, 13)]
                    relations.append(((("province", item["code"]), key), months))
            for m in range(1, 13):
                # a month of the country = its provinces' + the agencies outside them (never published: 0…∞)
                cells[(("rest", m), key)] = "?"
                parts = [(("province-month", p["code"], m), key) for p in data["provinces"] if p.get("trend")]
                relations.append(((("month", m), key), [*parts, (("rest", m), key)]))
    national = ("national", 0)
    relations.append(
        ((national, "cases_received_all"), [(national, "cases_received"), (national, "cases_before_recommendation")])
    )
    return cells, relations


def _interval(value: Any) -> tuple[float, float]:
    if isinstance(value, int):
        return float(value), float(value)
    if value == "x":
        return 5.0, math.inf  # hidden only to protect a small count: at least the threshold
    if value == "?":
        return 0.0, math.inf  # never published, or a change between versions (at least 0)
    limit = int(re.fullmatch(r"< (\d+)", value).group(1))
    return 0.0, float(limit - 1)


def recovered(data: dict[str, Any]) -> list[tuple]:
    """The "< n" cells the reader works out exactly."""
    return solve(*_cells_and_relations(data))


def solve(cells: dict[tuple, Any], relations: list[tuple[tuple, list[tuple]]]) -> list[tuple]:
    """The "< n" cells of `cells` (value, "< n", "x" or "?" for never published) the relations determine."""
    box = {cell: list(_interval(value)) for cell, value in cells.items()}
    # 1. subtraction: a relation with one hidden cell gives it away
    found = set()
    for total, parts in relations:
        hidden = [c for c in (total, *parts) if not isinstance(cells[c], int)]
        if len(hidden) == 1:
            found.add(hidden[0])
    # 2. intervals, relation by relation, until nothing changes
    for _ in range(500):
        changed = False
        for total, parts in relations:
            lo = sum(box[p][0] for p in parts)
            hi = sum(box[p][1] for p in parts)
            new_total = [max(box[total][0], lo), min(box[total][1], hi)]
            if new_total != box[total]:
                box[total], changed = new_total, True
            for part in parts:
                others_lo = sum(box[p][0] for p in parts if p is not part)
                others_hi = sum(box[p][1] for p in parts if p is not part)
                new = [max(box[part][0], box[total][0] - others_hi), min(box[part][1], box[total][1] - others_lo)]
                if new != box[part]:
                    box[part], changed = new, True
        if not changed:
            break
    found |= {c for c, (lo, hi) in box.items() if lo == hi}
    return sorted(c for c in found if isinstance(cells[c], str) and cells[c].startswith("<"))


# -- the test world, through every public format ------------------------------------------------------------------


def test_the_published_files_and_page_of_the_test_world_give_no_small_count_away(runner, client, public_world):
    result = runner.invoke(args=["public", "refresh", "--year", "2026"])
    assert result.exit_code == 0, result.output
    data = client.get("/api/v1/public/years/2026/figures.json").get_json()
    assert recovered(data) == []
    # the CSV says the same cells
    rows = csv.DictReader(io.StringIO(client.get("/api/v1/public/years/2026/figures.csv").get_data(as_text=True)))
    from_csv = {(r["unit_kind"], r["unit_code"], r["period"], r["measure"]): r["value"] or r["note"] for r in rows}
    for item in data["agencies"]:
        for key, value in item["values"].items():
            assert from_csv[("agency", item["code"], "0", key)] == str(value)
    # the page shows no figure the files do not: each agency row's cells are the JSON's
    page = client.get("/publik?tahun=2026&provinsi=PROV-99").get_data(as_text=True)
    for code, name in (("KAB-9901", "Kabupaten Contoh Kecil"), ("KOTA-9902", "Kota Contoh Kecil")):
        row = page.split(f"<td>{name}</td>", 1)[1].split("</tr>", 1)[0]
        shown = re.findall(r'data-label="([^"]+)">(?:<abbr[^>]*>)?([^<]*)<', row)
        assert shown and all(value in ("&lt; 5", "x", "–") for _, value in shown), (code, shown)


# -- random worlds ------------------------------------------------------------------------------------------------


def _random_world(seed: int) -> tuple[list[dict[str, Any]], dict[tuple[str, int, int], Tally]]:
    rng = random.Random(seed)
    listed: list[dict[str, Any]] = []
    next_id = iter(range(1, 1000))
    for p in range(rng.randint(1, 3)):
        province = next(next_id)
        listed.append({"id": province, "code": f"PROV-{p}", "name": f"Provinsi {p}", "kind": "provinsi",
                       "province_id": province})  # fmt: skip
        for k in range(rng.randint(0, 4)):
            agency_id = next(next_id)
            listed.append({"id": agency_id, "code": f"KAB-{p}-{k}", "name": f"Kabupaten {p}.{k}", "kind": "kabupaten",
                           "province_id": province})  # fmt: skip
    for c in range(rng.randint(1, 4)):
        agency_id = next(next_id)
        listed.append({"id": agency_id, "code": f"KEM-{c}", "name": f"Kementerian {c}", "kind": "kementerian",
                       "province_id": None})  # fmt: skip
    raw: dict[tuple[int, int], Tally] = {}
    for agency in listed:
        size = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40])
        for _ in range(size):
            month = rng.randint(1, 12)
            tally = raw.setdefault((agency["id"], month), Tally())
            counts: Counter[str] = tally.counts
            counts["recommendations_issued"] += 1
            counts["cases_received"] += rng.random() < 0.9
            fate = rng.random()
            if fate < 0.55:
                counts["followed_up"] += 1
                counts["on_time" if rng.random() < 0.6 else "late"] += 1
                counts["conforming" if rng.random() < 0.8 else "lighter_sanction"] += 1
                tally.working_days[rng.randint(3, 40)] += 1
            elif fate < 0.9:
                counts["open"] += 1
                counts[rng.choice(("open_within_deadline", "open_level_1", "open_level_2", "open_level_3"))] += 1
            counts["escalated"] += rng.random() < 0.2
    return listed, rollup(listed, raw, rng.randint(0, 12))


@pytest.mark.parametrize("seed", range(40))
def test_no_small_count_of_a_random_world_can_be_worked_out(app, seed):
    listed, units = _random_world(seed)
    data = releases.assemble(2026, listed, units)
    assert recovered(data) == []
    db.session.rollback()


def test_the_attack_works_against_small_cells_hidden_alone():
    """Without complementary suppression (every "x" shown as its value), the same reader recovers small counts:
    the test above would catch a release that relied on hiding the small cells alone."""
    successes = 0
    for seed in range(40):
        listed, units = _random_world(seed)
        data = releases.assemble(2026, listed, units)
        true_values = releases._values(units)
        by_code = {a["code"]: a["id"] for a in listed}

        def reveal(
            kind: str, unit_id: int, period: int, values: dict[str, Any], true: dict[Any, int] = true_values
        ) -> None:
            for key, value in values.items():
                if value == "x":
                    values[key] = true[(kind, unit_id, period, key)]

        for item in data["agencies"]:
            reveal("agency", by_code[item["code"]], 0, item["values"])
        for item in data["provinces"]:
            reveal("province", by_code[item["code"]], 0, item["values"])
        reveal("national", NATIONAL_ID, 0, data["national"]["values"])
        for month in data["trend"]:
            reveal("national", NATIONAL_ID, month["month"], month["values"])
        for item in data["provinces"]:
            for month in item["trend"]:
                reveal("province", by_code[item["code"]], month["month"], month["values"])
        successes += bool(recovered(data))
        db.session.rollback()
    assert successes >= 10
