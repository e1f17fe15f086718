"""A reader compares two consecutive versions of a year's figures and tries to recover a small count from their
difference, and fails; without the guard (each version protected alone) the same reader succeeds.

The reader is written apart from app/public/: it takes the two published JSONs, the relations of each (as in
test_reidentification), and what a reader may assume between versions: the growing counts (received, issued, followed
up, on time, late, conforming, lighter, escalated) did not go down, so a cell now = the cell then + a change of at
least 0, and the changes add up like the cells. Then the same interval attack runs on both versions at once: no
"< n" cell of either may come out as one value.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from app.core.states import CaseStatus as S
from app.db import db
from app.public import release as releases
from app.public.figures import NATIONAL_ID, Tally
from tests.factories import case_in
from tests.public.test_reidentification import _cells_and_relations, _random_world, solve

GROWING = {"cases_received", "recommendations_issued", "followed_up", "on_time", "late", "conforming",
           "lighter_sanction", "escalated", "cases_received_all"}  # fmt: skip


def recovered_across(before: dict[str, Any], after: dict[str, Any]) -> list[tuple]:
    """The "< n" cells of either version the reader determines from both together."""
    cells_a, relations_a = _cells_and_relations(before)
    cells_b, relations_b = _cells_and_relations(after)
    cells: dict[tuple, Any] = {}
    relations: list[tuple[tuple, list[tuple]]] = []
    for tag, own_cells, own_relations in (("v1", cells_a, relations_a), ("v2", cells_b, relations_b)):
        cells.update({(tag, c): v for c, v in own_cells.items()})
        relations += [((tag, total), [(tag, p) for p in parts]) for total, parts in own_relations]
    linked = set()
    for cell in cells_b:
        if cell in cells_a and cell[-1] in GROWING:
            cells[("change", cell)] = "?"
            relations.append((("v2", cell), [("v1", cell), ("change", cell)]))
            linked.add(cell)
    for total, parts in relations_b:
        if all(c in linked for c in (total, *parts)):
            relations.append((("change", total), [("change", p) for p in parts]))
    return solve(cells, relations)


def _plus_one(units: dict[tuple[str, int, int], Tally], listed: list[dict[str, Any]], agency_id: int, month: int):
    """The same world with one more case and recommendation (still open) in an agency and month."""
    grown = copy.deepcopy(units)
    province = next(a["province_id"] for a in listed if a["id"] == agency_id)
    keys = [("agency", agency_id, 0), ("national", NATIONAL_ID, 0), ("national", NATIONAL_ID, month)]
    if province is not None:
        keys += [("province", province, 0), ("province", province, month)]
    for key in keys:
        counts = grown.setdefault(key, Tally()).counts
        for measure in ("cases_received", "recommendations_issued", "open", "open_within_deadline"):
            counts[measure] += 1
    return grown


def _pairs(seed: int) -> tuple[Any, ...] | None:
    """A random world, and the same world with one more case in an agency of 4 recommendations (so it reaches 5)."""
    listed, units = _random_world(seed)
    fours = [a["id"] for a in listed if units[("agency", a["id"], 0)].counts["recommendations_issued"] == 4]
    if not fours:
        return None
    grown = _plus_one(units, listed, random.Random(seed).choice(fours), random.Random(seed).randint(1, 12))
    return listed, units, grown


@pytest.mark.parametrize("seed", range(40))
def test_no_small_count_comes_out_of_two_guarded_versions(app, seed):
    pair = _pairs(seed)
    if pair is None:
        pytest.skip("no agency with four recommendations in this world")
    listed, units, grown = pair
    first, hidden = releases.assemble_hiding(2026, listed, units)
    previous_hidden = {tuple(row[:4]): row[4] for row in hidden}
    second = releases.assemble(2026, listed, grown, previous=first, previous_hidden=previous_hidden)
    assert recovered_across(first, second) == []
    db.session.rollback()


def test_the_version_attack_works_without_the_guard(app):
    """Each version protected alone: the reader comparing them recovers small counts in many worlds."""
    tried = successes = 0
    for seed in range(60):
        pair = _pairs(seed)
        if pair is None:
            continue
        listed, units, grown = pair
        first = releases.assemble(2026, listed, units)
        second = releases.assemble(2026, listed, grown)
        assert releases_alone_safe(first) and releases_alone_safe(second)
        tried += 1
        successes += bool(recovered_across(first, second))
        db.session.rollback()
    assert tried >= 15 and successes >= 5, (tried, successes)


def releases_alone_safe(data: dict[str, Any]) -> bool:
    from tests.public.test_reidentification import recovered

    return recovered(data) == []


def test_two_refreshes_of_the_test_world_give_nothing_away(runner, client, public_world):
    assert "2026: versi 1" in runner.invoke(args=["public", "refresh", "--year", "2026"]).output
    for _ in range(3):  # the kota: 2 recommendations, then 5
        case_in(public_world.cast, S.AWAITING_FOLLOW_UP, agency=public_world.kota)
    assert "2026: versi 2" in runner.invoke(args=["public", "refresh", "--year", "2026"]).output
    first = client.get("/api/v1/public/years/2026/versions/1/figures.json").get_json()
    second = client.get("/api/v1/public/years/2026/versions/2/figures.json").get_json()
    assert recovered_across(first, second) == []
    # a refresh that finds nothing new keeps the version: the guard's choice is stable
    assert "2026: versi 2" in runner.invoke(args=["public", "refresh", "--year", "2026"]).output
