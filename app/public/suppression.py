"""Small counts are never published, nor derivable from what is published (issue 24).

A published table is a set of cells (each an integer count) and a set of linear relations between them, each
"a total equals the sum of its parts" (an agency's follow-ups = on time + late; a province = its government + its
kabupaten/kota; the country = every top-level unit; a year = its months ...). A cell below the threshold is
suppressed (*primary*: shown as "< 5"). A reader who knows the relations can still work a suppressed cell out of
the visible ones — a total with one suppressed part gives it away, and so may two "< 5" parts that add up to 8.
So the reader's attack is run here before anything is published: `bounds` narrows every suppressed cell to the
interval the relations and the visible cells allow (a primary cell lies in [0, threshold − 1], a *secondary* one —
suppressed only to protect another, shown as "×" — in [threshold, ∞)), relation by relation until nothing
changes; whenever a primary cell's interval is a single value, `protect` suppresses one more cell of a relation
holding it (the smallest visible part, else the total) and attacks again, until no primary cell is determined.
This is complementary suppression for totals; it publishes no figure that the interval attack can recover.

Some cells are hidden by nature: never published (the part of a month's national total outside the provinces),
or already published in an earlier version (a new version is protected together with the one before it: see
app/public/release.py). They enter the attack with a prior interval (`known`) and are never chosen; visible cells
of an earlier version (`frozen`) cannot be hidden any more, and its small cells (`watched`) must stay undetermined.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Cell = Any  # a hashable key (a tuple here)


@dataclass(frozen=True)
class Relation:
    """`total` = sum of `parts`."""

    total: Cell
    parts: tuple[Cell, ...]

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.total, *self.parts)


@dataclass
class Protection:
    primary: set[Cell]
    secondary: set[Cell]
    # hidden by nature, with the interval a reader knows them in; never chosen
    known: dict[Cell, tuple[float, float]] = field(default_factory=dict)
    # visible cells that can no longer be hidden
    frozen: set[Cell] = field(default_factory=set)
    # cells besides the primary ones that no reader may determine
    watched: set[Cell] = field(default_factory=set)

    def hidden(self, cell: Cell) -> bool:
        return cell in self.primary or cell in self.secondary or cell in self.known

    def choosable(self, cell: Cell) -> bool:
        return not self.hidden(cell) and cell not in self.frozen


def bounds(
    values: dict[Cell, int],
    relations: Sequence[Relation],
    primary: set[Cell],
    secondary: set[Cell],
    threshold: int,
    *,
    known: dict[Cell, tuple[float, float]] | None = None,
    max_passes: int = 200,
) -> dict[Cell, tuple[float, float]]:
    """The interval a reader can narrow each suppressed cell to, from the visible cells and the relations."""
    known = known or {}
    box: dict[Cell, list[float]] = {}
    for cell in {c for r in relations for c in r.cells} | set(values):
        if cell in known:
            box[cell] = [known[cell][0], known[cell][1]]
        elif cell in primary:
            box[cell] = [0.0, float(threshold - 1)]
        elif cell in secondary:
            box[cell] = [float(threshold), math.inf]
        else:
            value = float(values.get(cell, 0))
            box[cell] = [value, value]
    hidden = primary | secondary | set(known)
    active = [r for r in relations if any(c in hidden for c in r.cells)]
    for _ in range(max_passes):
        changed = False
        for relation in active:
            changed = _narrow(relation, box, hidden) or changed
        if not changed:
            break
    return {cell: (box[cell][0], box[cell][1]) for cell in hidden if cell in box}


def exposed(
    values: dict[Cell, int], relations: Sequence[Relation], protection: Protection, threshold: int
) -> list[Cell]:
    """The primary (and watched) cells a reader can determine exactly."""
    found = bounds(values, relations, protection.primary, protection.secondary, threshold, known=protection.known)
    return [
        cell for cell in protection.primary | protection.watched if cell in found and found[cell][0] == found[cell][1]
    ]


def protect(
    values: dict[Cell, int],
    relations: Iterable[Relation],
    threshold: int,
    *,
    known: dict[Cell, tuple[float, float]] | None = None,
    frozen: Iterable[Cell] = (),
    watched: Iterable[Cell] = (),
    sticky: Iterable[Cell] = (),
) -> Protection:
    """Primary suppression of every cell below `threshold` (but the `known` and `frozen` ones), then secondary
    suppression until no primary or watched cell can be recovered by the interval attack; the `sticky` cells that
    are not primary start as secondary."""
    relations = [r for r in relations if r.parts]
    known = dict(known or {})
    fixed = set(frozen)
    protection = Protection(
        primary={c for c, v in values.items() if v < threshold and c not in known and c not in fixed},
        secondary=set(),
        known=known,
        frozen=fixed,
        watched=set(watched),
    )
    protection.secondary = {c for c in sticky if c in values and c not in protection.primary and c not in known}
    holding: dict[Cell, list[Relation]] = {}
    for relation in relations:
        for cell in relation.cells:
            holding.setdefault(cell, []).append(relation)
    for _ in range(len(values) + 1):
        found = exposed(values, relations, protection, threshold)
        if not found:
            return protection
        added = False
        touched: set[Relation] = set()
        handled: set[Cell] = set()
        for cell in sorted(found, key=repr):
            later = any(r in touched or any(c in handled for c in r.cells) for r in holding.get(cell, []))
            handled.add(cell)
            if later:
                continue  # a relation of this cell got a secondary cell, or holds an exposed cell, this round
            choice = _nearest_visible(cell, holding, protection, values)
            if choice is not None:
                protection.secondary.add(choice[0])
                touched.add(choice[1])
                added = True
        if not added:
            raise RuntimeError("suppression could not protect every small count")
    return protection


def _nearest_visible(
    cell: Cell, holding: dict[Cell, list[Relation]], protection: Protection, values: dict[Cell, int]
) -> tuple[Cell, Relation] | None:
    """The visible cell to hide for an exposed one: the smallest visible part (else the total) of a relation
    holding it; when all of those are hidden, of the nearest relation reached through hidden cells."""
    frontier, seen_cells, seen_relations = [cell], {cell}, set()
    while frontier:
        following = []
        for current in frontier:
            for relation in holding.get(current, []):
                if relation in seen_relations:
                    continue
                seen_relations.add(relation)
                visible = [p for p in relation.parts if protection.choosable(p)]
                if visible:
                    return min(visible, key=lambda p: (values.get(p, 0), repr(p))), relation
                if protection.choosable(relation.total):
                    return relation.total, relation
                for other in relation.cells:
                    if other not in seen_cells:
                        seen_cells.add(other)
                        following.append(other)
        frontier = following
    return None


def _narrow(relation: Relation, box: dict[Cell, list[float]], hidden: set[Cell]) -> bool:
    """Narrow the intervals of one relation's cells once; whether anything changed."""
    changed = False
    lo_sum = sum(box[p][0] for p in relation.parts)
    his = [box[p][1] for p in relation.parts]
    hi_inf = sum(1 for h in his if math.isinf(h))
    hi_fin = sum(h for h in his if not math.isinf(h))
    total = box[relation.total]
    lo, hi = max(total[0], lo_sum), min(total[1], math.inf if hi_inf else hi_fin)
    if (lo, hi) != (total[0], total[1]):
        total[0], total[1] = lo, hi
        changed = True
    for part in relation.parts:
        if part not in hidden:
            continue
        own = box[part]
        own_inf = math.isinf(own[1])
        others_lo = lo_sum - own[0]
        others_hi = math.inf if hi_inf - own_inf > 0 else hi_fin - (0 if own_inf else own[1])
        new_lo = max(own[0], total[0] - others_hi)
        new_hi = min(own[1], total[1] - others_lo)
        if (new_lo, new_hi) == (own[0], own[1]):
            continue
        lo_sum += new_lo - own[0]
        if own_inf:
            hi_inf -= 1
        else:
            hi_fin -= own[1]
        if math.isinf(new_hi):
            hi_inf += 1
        else:
            hi_fin += new_hi
        own[0], own[1] = new_lo, new_hi
        changed = True
    return changed
