"""Build the light province map of /publik from the boundary data set `@svg-maps/indonesia` 1.0.0 (npm registry,
CC BY 4.0, by Bashir Arrohman; https://github.com/VictorCazanave/svg-maps/tree/master/packages/indonesia).

    npm pack @svg-maps/indonesia@1.0.0 && tar xzf svg-maps-indonesia-1.0.0.tgz
    .venv/bin/python scripts/build_public_map.py package/index.js app/public/geo/provinces.json

What changes (CC BY 4.0 asks to say so): each outline is simplified (Douglas–Peucker, 0.45 px), rings smaller
than 0.6 px² are dropped, coordinates are rounded to 0.1 px, and each province gets the Kemendagri code of this
project's agencies (PROV-nn). The data set draws the 34 provinces before 2022: Papua Selatan, Papua Tengah and
Papua Pegunungan lie inside the outline of Papua, Papua Barat Daya inside Papua Barat (`also`).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

CODES = {
    "ac": "PROV-11", "su": "PROV-12", "sb": "PROV-13", "ri": "PROV-14", "ja": "PROV-15", "ss": "PROV-16",
    "be": "PROV-17", "la": "PROV-18", "bb": "PROV-19", "kr": "PROV-21", "jk": "PROV-31", "jb": "PROV-32",
    "jt": "PROV-33", "yo": "PROV-34", "ji": "PROV-35", "bt": "PROV-36", "ba": "PROV-51", "nb": "PROV-52",
    "nt": "PROV-53", "kb": "PROV-61", "kt": "PROV-62", "ks": "PROV-63", "ki": "PROV-64", "ku": "PROV-65",
    "sa": "PROV-71", "st": "PROV-72", "sn": "PROV-73", "sg": "PROV-74", "go": "PROV-75", "sr": "PROV-76",
    "ma": "PROV-81", "mu": "PROV-82", "pa": "PROV-91", "pb": "PROV-92",
}  # fmt: skip
ALSO = {"PROV-91": ["PROV-93", "PROV-94", "PROV-95"], "PROV-92": ["PROV-96"]}
TOLERANCE = 0.45
MIN_AREA = 0.6


def rings(path: str) -> list[list[tuple[float, float]]]:
    """The rings of a path made of relative `m` (then implicit relative line-tos) and `z`."""
    out: list[list[tuple[float, float]]] = []
    x = y = 0.0
    for command, args in re.findall(r"([mMzZ])([^mMzZ]*)", path):
        if command in "zZ":
            continue
        numbers = [float(n) for n in re.findall(r"-?\d*\.?\d+(?:e-?\d+)?", args)]
        ring = []
        for i in range(0, len(numbers) - 1, 2):
            if command == "M" and i == 0:
                x, y = numbers[i], numbers[i + 1]
            else:
                x, y = x + numbers[i], y + numbers[i + 1]
            ring.append((x, y))
        if ring:
            out.append(ring)
    return out


def _distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        index, worst = None, tolerance
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                index, worst = i, d
        if index is not None:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(points: list[tuple[float, float]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True))) / 2


def path_of(ring_list: list[list[tuple[float, float]]]) -> str:
    parts = []
    for ring in ring_list:
        coords = " ".join(f"{x:.1f},{y:.1f}".replace(".0,", ",").replace(".0 ", " ") for x, y in ring)
        parts.append(f"M{coords}Z")
    return "".join(parts).replace(".0Z", "Z")


def main(source: str, target: str) -> None:
    text = Path(source).read_text()
    data = json.loads(text[text.index("{") : text.rindex("}") + 1])
    provinces = []
    for location in data["locations"]:
        code = CODES[location["id"].removeprefix("id-")]
        kept = []
        for ring in rings(location["path"]):
            simple = simplify(ring, TOLERANCE)
            if len(simple) >= 3 and area(simple) >= MIN_AREA:
                kept.append(simple)
        provinces.append({"code": code, "name": location["name"], "also": ALSO.get(code, []), "path": path_of(kept)})
    out = {
        "viewBox": data["viewBox"],
        "source": "@svg-maps/indonesia 1.0.0 (npm), Bashir Arrohman, CC BY 4.0; simplified, Kemendagri codes added",
        "licence": "https://creativecommons.org/licenses/by/4.0/",
        "provinces": sorted(provinces, key=lambda p: p["code"]),
    }
    Path(target).write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
