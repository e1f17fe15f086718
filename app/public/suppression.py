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
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

Cell = Hashable


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

    def hidden(self, cell: Cell) -> bool:
        return cell in self.primary or cell in self.secondary


def bounds(
    values: dict[Cell, int],
    relations: Sequence[Relation],
    primary: set[Cell],
    secondary: set[Cell],
    threshold: int,
    *,
    max_passes: int = 200,
) -> dict[Cell, tuple[float, float]]:
    """The interval a reader can narrow each suppressed cell to, from the visible cells and the relations."""
    box: dict[Cell, list[float]] = {}
    for cell in {c for r in relations for c in r.cells} | set(values):
        if cell in primary:
            box[cell] = [0.0, float(threshold - 1)]
        elif cell in secondary:
            box[cell] = [float(threshold), math.inf]
        else:
            value = float(values.get(cell, 0))
            box[cell] = [value, value]
    hidden = primary | secondary
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
    """The primary cells a reader can determine exactly."""
    found = bounds(values, relations, protection.primary, protection.secondary, threshold)
    return [cell for cell in protection.primary if found[cell][0] == found[cell][1]]


def protect(values: dict[Cell, int], relations: Iterable[Relation], threshold: int) -> Protection:
    """Primary suppression of every cell below `threshold`, then secondary suppression until no primary cell can
    be recovered by the interval attack."""
    relations = [r for r in relations if r.parts]
    protection = Protection(primary={c for c, v in values.items() if v < threshold}, secondary=set())
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
        for cell in sorted(found, key=repr):
            if any(r in touched for r in holding.get(cell, [])):
                continue  # a relation of this cell got a secondary cell this round: attack again first
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
                visible = [p for p in relation.parts if not protection.hidden(p)]
                if visible:
                    return min(visible, key=lambda p: (values.get(p, 0), repr(p))), relation
                if not protection.hidden(relation.total):
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
