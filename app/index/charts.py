"""Server-rendered inline SVG charts (no script, no external assets: the CSP forbids both)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape

BAR_COLOR = "#0d6efd"
LINE_COLOR = "#198754"
GRID_COLOR = "#dee2e6"
TEXT_COLOR = "#212529"


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def ranking_bars(
    items: Sequence[dict[str, Any]], *, max_score: float, title: str, number: Callable[[float, int], str] = _fmt
) -> Markup:
    """Horizontal bars of the raw score (0..max_score), one per agency, in the given order; each score written by
    `number` with the two decimals of the ranking table beside it (pages pass the reader's language)."""
    rows = [i for i in items if i.get("score") is not None]
    label_width, bar_width, row_height, top = 260, 420, 18, 28
    height = top + row_height * max(len(rows), 1) + 24
    width = label_width + bar_width + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="index-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-labelledby="ranking-chart-title">',
        f'<title id="ranking-chart-title">{escape(title)}</title>',
    ]
    for tick in range(0, 101, 25):
        x = label_width + bar_width * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 20}" stroke="{GRID_COLOR}" />'
            f'<text x="{x:.1f}" y="{top - 10}" font-size="10" text-anchor="middle" fill="{TEXT_COLOR}">'
            f"{number(max_score * tick / 100, 0)}</text>"
        )
    for position, item in enumerate(rows):
        y = top + position * row_height
        length = bar_width * max(0.0, min(1.0, float(item["score"]) / max_score))
        name = str(item.get("agency_name") or "")
        short = name if len(name) <= 38 else name[:37] + "…"
        rank = item.get("rank")
        prefix = f"{rank}. " if rank is not None else ""
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 12}" font-size="11" text-anchor="end" fill="{TEXT_COLOR}">'
            f"{escape(prefix + short)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row_height - 6}" fill="{BAR_COLOR}">'
            f"<title>{escape(name)}: {number(float(item['score']), 2)}</title></rect>"
            f'<text x="{label_width + length + 4:.1f}" y="{y + 12}" font-size="10" fill="{TEXT_COLOR}">'
            f"{number(float(item['score']), 2)}</text>"
        )
    if not rows:
        parts.append(
            f'<text x="{label_width}" y="{top + 12}" font-size="12" fill="{TEXT_COLOR}">Belum ada data.</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def trend_line(points: Sequence[dict[str, Any]], *, title: str) -> Markup:
    """A line of the index (0..1) over the years; frozen years drawn as filled dots."""
    width, height, left, right, top, bottom = 560, 220, 44, 16, 16, 32
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="index-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-labelledby="trend-chart-title">',
        f'<title id="trend-chart-title">{escape(title)}</title>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID_COLOR}" />'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="{TEXT_COLOR}">'
            f"{_fmt(tick, 2)}</text>"
        )
    if not points:
        parts.append(f'<text x="{left + 8}" y="{top + 20}" font-size="12" fill="{TEXT_COLOR}">Belum ada data.</text>')
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704
    years = [int(p["year"]) for p in points]
    span = max(years[-1] - years[0], 1)

    def xy(point: dict[str, Any]) -> tuple[float, float]:
        x = left + plot_w * ((int(point["year"]) - years[0]) / span if len(points) > 1 else 0.5)
        y = top + plot_h * (1 - max(0.0, min(1.0, float(point["index"]))))
        return x, y

    coordinates = [xy(p) for p in points]
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE_COLOR}" stroke-width="2" />')
    for point, (x, y) in zip(points, coordinates, strict=True):
        fill = LINE_COLOR if point.get("frozen") else "#ffffff"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" stroke="{LINE_COLOR}" stroke-width="2">'
            f"<title>{int(point['year'])}: {_fmt(float(point['index']), 2)} "
            f"({escape(point.get('category') or 'Belum lengkap')})</title></circle>"
            f'<text x="{x:.1f}" y="{height - 12}" font-size="10" text-anchor="middle" fill="{TEXT_COLOR}">'
            f"{int(point['year'])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704
