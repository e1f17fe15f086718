"""Horizontal bar charts drawn on the server as inline SVG (no script, no external asset: the CSP allows neither).

Each row's label sits on its own line above its bars, so a long label never squeezes the bars and the chart reads
the same in a phone's 390 px as on a desktop. The SVG is an image with a title and a description (`role="img"`,
`aria-labelledby`); the page puts the same figures in a table beside it for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

TEXT_COLOR = "#212529"
GRID_COLOR = "#ced4da"
# Bars against white: at least 3:1 (WCAG 1.4.11, graphical objects), and the two told apart by more than hue.
SERIES_COLORS = ("#0b5ed7", "#b35c00")

# A phone's card is about 320 px wide: the drawing's units are then about pixels (CSS caps its width on a desktop).
WIDTH = 320
LABEL_SIZE = 11
VALUE_SIZE = 10
CHAR_WIDTH = 5.6  # a generous average advance of VALUE_SIZE text, to leave room for the longest value
LABEL_HEIGHT = 14
BAR_HEIGHT = 11
BAR_GAP = 3
ROW_GAP = 7
LEGEND_HEIGHT = 20


@dataclass(frozen=True)
class Bar:
    """One row: its label, one value per series and the text written beside each bar."""

    label: str
    values: Sequence[float | None]
    texts: Sequence[str]
    emphasis: bool = False  # drawn in bold (today's row of a calendar chart)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[Bar],
    *,
    series: Sequence[str] = (),
    max_value: float | None = None,
    empty_text: str = "",
) -> Markup:
    """The chart as an `<svg>` element. `series` names the bars of a row when there are several (a legend is drawn);
    `max_value` fixes the scale (a rate's 100), else the largest value is the full length."""
    count = max((len(row.values) for row in rows), default=1)
    largest = max_value or max((v or 0 for row in rows for v in row.values), default=0) or 1
    top = LEGEND_HEIGHT if len(series) > 1 else 4
    row_height = LABEL_HEIGHT + count * (BAR_HEIGHT + BAR_GAP) + ROW_GAP
    height = top + row_height * max(len(rows), 1) + 4
    longest = max((len(text) for row in rows for text in row.texts), default=1)
    span = WIDTH - min(WIDTH // 2, int(longest * CHAR_WIDTH) + 8)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    if len(series) > 1:
        x = 0
        for index, name in enumerate(series):
            color = SERIES_COLORS[index % len(SERIES_COLORS)]
            parts.append(
                f'<rect x="{x}" y="3" width="11" height="11" fill="{color}" />'
                f'<text x="{x + 15}" y="12" font-size="{LABEL_SIZE}" fill="{TEXT_COLOR}">{escape(name)}</text>'
            )
            x += 30 + int(6.5 * len(name))
    for position, row in enumerate(rows):
        y = top + position * row_height
        weight = ' font-weight="bold"' if row.emphasis else ""
        parts.append(
            f'<text x="0" y="{y + 11}" font-size="{LABEL_SIZE}" fill="{TEXT_COLOR}"{weight}>'
            f"{escape(_short(row.label))}</text>"
        )
        for index, (value, text) in enumerate(zip(row.values, row.texts, strict=True)):
            bar_y = y + LABEL_HEIGHT + index * (BAR_HEIGHT + BAR_GAP)
            length = span * max(0.0, min(1.0, float(value or 0) / largest))
            color = SERIES_COLORS[index % len(SERIES_COLORS)]
            name = f"{series[index]}: " if len(series) > 1 else ""
            parts.append(
                f'<line x1="0" y1="{bar_y}" x2="0" y2="{bar_y + BAR_HEIGHT}" stroke="{GRID_COLOR}" />'
                f'<rect x="0" y="{bar_y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{color}">'
                f"<title>{escape(row.label)}: {escape(name)}{escape(text)}</title></rect>"
                f'<text x="{length + 4:.1f}" y="{bar_y + 9}" font-size="{VALUE_SIZE}" fill="{TEXT_COLOR}">'
                f"{escape(text)}</text>"
            )
    if not rows and empty_text:
        parts.append(
            f'<text x="0" y="{top + 12}" font-size="{LABEL_SIZE}" fill="{TEXT_COLOR}">{escape(empty_text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def _short(text: str, limit: int = 56) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
