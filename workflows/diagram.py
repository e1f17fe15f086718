"""The state diagram derived from the transition table: Mermaid text for docs/state-machine.md, and an SVG drawing
for the help page (drawn here, on the server: no script, no CDN, in the reader's language).

The drawing's layout is computed from TRANSITIONS, so a new status or event is drawn without touching this file:
the longest path from `reported` is the main column, read top to bottom; the other statuses stand beside the status
they leave from; an event that returns to an earlier status curves back on the left, one that stays is a loop on the
left listing its events; an event allowed from every open status (closing) is one arrow into its status, said so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from app.core.states import STATUS_LABELS, TERMINAL_STATUSES, CaseEvent, CaseStatus
from workflows.transitions import NON_TERMINAL, TRANSITIONS


def mermaid() -> str:
    lines = ["stateDiagram-v2"]
    for status in CaseStatus:
        lines.append(f"    {status.value}: {STATUS_LABELS[status]}")
    lines.append("    [*] --> reported")
    for transition in TRANSITIONS.values():
        roles = ", ".join(sorted(r.value for r in transition.roles))
        for source in transition.sources:
            target = transition.target_from(source)
            lines.append(f"    {source.value} --> {target.value}: {transition.event.value} ({roles})")
    for status in CaseStatus:
        if status in TERMINAL_STATUSES:
            lines.append(f"    {status.value} --> [*]")
    return "\n".join(lines) + "\n"


def markdown() -> str:
    return (
        "# Case state machine\n\n"
        "Generated from `workflows/transitions.py` by `flask workflow diagram`; a test fails when this file is "
        "stale.\n\n```mermaid\n" + mermaid() + "```\n"
    )


# -- the drawing ---------------------------------------------------------------------------------------------------

NODE_W, NODE_H = 220, 50
COL_GAP, ROW_GAP = 190, 64
LEFT, TOP = 210, 46  # room for the labels of loops and returns (left) and for the start mark (top)
FONT, SMALL = 14, 12
CHAR_W = 0.56  # average advance of a sans-serif character, in ems: enough to size label backgrounds
WRAP = 26  # characters per line inside a status box

START = CaseStatus.REPORTED


@dataclass
class _Layout:
    place: dict[CaseStatus, tuple[int, int]] = field(default_factory=dict)  # status -> (column, row)
    edges: dict[tuple[CaseStatus, CaseStatus], list[CaseEvent]] = field(default_factory=dict)
    loops: dict[CaseStatus, list[CaseEvent]] = field(default_factory=dict)
    anywhere: list[tuple[CaseEvent, CaseStatus]] = field(default_factory=list)  # allowed from every open status


def _from_everywhere(sources: tuple[CaseStatus, ...]) -> bool:
    return len(sources) > 2 and set(sources) == set(NON_TERMINAL)


def _arrows(out: _Layout) -> dict[CaseStatus, list[CaseStatus]]:
    """The arrows of TRANSITIONS into `out` (joins, loops, from everywhere); returns the statuses each leads to."""
    forward: dict[CaseStatus, list[CaseStatus]] = {s: [] for s in CaseStatus}
    for transition in TRANSITIONS.values():
        if _from_everywhere(transition.sources) and transition.target is not None:
            out.anywhere.append((transition.event, transition.target))
            continue
        for source in transition.sources:
            target = transition.target_from(source)
            if target == source:
                out.loops.setdefault(source, []).append(transition.event)
                continue
            out.edges.setdefault((source, target), []).append(transition.event)
            if target not in forward[source]:
                forward[source].append(target)
    return forward


def _main_column(forward: dict[CaseStatus, list[CaseStatus]]) -> tuple[list[CaseStatus], list[CaseStatus]]:
    """The longest path from the start over the arrows that do not return (a depth-first walk finds those), and
    the statuses in the order the walk finished them."""
    order: list[CaseStatus] = []
    on_path: set[CaseStatus] = set()
    returns: set[tuple[CaseStatus, CaseStatus]] = set()

    def visit(status: CaseStatus) -> None:
        on_path.add(status)
        for nxt in forward[status]:
            if nxt in on_path:
                returns.add((status, nxt))
            elif nxt not in order:
                visit(nxt)
        on_path.discard(status)
        order.append(status)

    visit(START)
    longest: dict[CaseStatus, list[CaseStatus]] = {}
    for status in order:  # successors first
        paths = [longest[n] for n in forward[status] if (status, n) not in returns and n in longest]
        longest[status] = [status, *max(paths, key=len, default=[])]
    return longest[START], order


def layout() -> _Layout:
    """Where each status stands and which arrows join them, from TRANSITIONS."""
    out = _Layout()
    main, order = _main_column(_arrows(out))
    for row, status in enumerate(main):
        out.place[status] = (0, row)
    taken = set(out.place.values())
    # Every other status beside the lowest status it is entered from (entered from everywhere: the last row).
    for status in [s for s in reversed(order) if s not in out.place] + [t for _, t in out.anywhere]:
        if status in out.place:
            continue
        entered_from = [out.place[src][1] for (src, dst) in out.edges if dst == status and src in out.place]
        row = max(entered_from) if entered_from else len(main) - 1
        column = 1
        while (column, row) in taken:
            column += 1
        out.place[status] = (column, row)
        taken.add((column, row))
    return out


def _box(place: tuple[int, int]) -> tuple[float, float]:
    """Top-left corner of the box of a status at (column, row)."""
    column, row = place
    return LEFT + column * (NODE_W + COL_GAP), TOP + row * (NODE_H + ROW_GAP)


def _wrap(text: str, width: int = WRAP) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _wrap_all(texts: list[str], width: int) -> list[str]:
    return [line for text in texts for line in _wrap(text, width)]


def _label_height(lines: list[str]) -> float:
    return len(lines) * (SMALL + 3) + 4


class _Drawing:
    """The SVG's parts: arrows first, then the statuses, then the labels on their white ground above all."""

    def __init__(self, plan: _Layout, event_label: Callable[[CaseEvent], str]):
        self.plan = plan
        self.event_label = event_label
        self.arrows: list[str] = []
        self.boxes: list[str] = []
        self.labels: list[str] = []

    def arrow(self, path: str, *, dashed: bool = False) -> None:
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        self.arrows.append(
            f'<path d="{path}" fill="none" stroke="#495057" stroke-width="1.5" marker-end="url(#arrow)"{dash}/>'
        )

    def label(self, x: float, y: float, lines: list[str], anchor: str = "middle") -> None:
        """Lines of a label centred on y, on a white ground (so that a crossing arrow does not hide it)."""
        width = max(len(line) for line in lines) * SMALL * CHAR_W + 8
        height = _label_height(lines)
        left = {"middle": x - width / 2, "start": x - 4, "end": x - width + 4}[anchor]
        top = y - height / 2
        parts = [
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" rx="3" fill="#ffffff"/>',
            f'<text x="{x:.1f}" y="{top + SMALL + 1:.1f}" text-anchor="{anchor}" font-size="{SMALL}" fill="#212529">',
        ]
        for n, line in enumerate(lines):
            parts.append(f'<tspan x="{x:.1f}" dy="{0 if n == 0 else SMALL + 3}">{escape(line)}</tspan>')
        parts.append("</text>")
        self.labels.append("".join(parts))

    def start(self) -> None:
        x, y = _box(self.plan.place[START])
        cx = x + NODE_W / 2
        self.arrows.append(f'<circle cx="{cx:.1f}" cy="{y - 30:.1f}" r="7" fill="#212529"/>')
        self.arrow(f"M{cx:.1f},{y - 23:.1f} L{cx:.1f},{y - 2:.1f}")

    def edge(self, source: CaseStatus, target: CaseStatus, events: list[CaseEvent]) -> None:
        (c1, r1), (c2, r2) = self.plan.place[source], self.plan.place[target]
        (x1, y1), (x2, y2) = _box((c1, r1)), _box((c2, r2))
        words = [self.event_label(e) for e in events]
        if c1 == c2 and r2 == r1 + 1:  # straight down the column, the label on its right
            x = x1 + NODE_W / 2
            self.arrow(f"M{x:.1f},{y1 + NODE_H:.1f} L{x:.1f},{y2 - 2:.1f}")
            self.label(x + 10, (y1 + NODE_H + y2) / 2, _wrap_all(words, 30), "start")
        elif c1 == c2 and r2 < r1:  # back up the column: a line on the left of the one going down
            x = x1 + 34
            self.arrow(f"M{x:.1f},{y1:.1f} L{x:.1f},{y2 + NODE_H + 2:.1f}")
            self.label(x - 8, (y2 + NODE_H + y1) / 2, _wrap_all(words, 24), "end")
        elif c1 == c2:  # further down the column: a curve on the left
            bend, ya, yb = x1 - 40, y1 + NODE_H / 2, y2 + NODE_H / 2
            self.arrow(f"M{x1:.1f},{ya:.1f} C{bend:.1f},{ya:.1f} {bend:.1f},{yb:.1f} {x2 - 2:.1f},{yb:.1f}")
            self.label(bend - 6, (ya + yb) / 2, _wrap_all(words, 24), "end")
        elif r1 == r2:  # beside: two statuses joined both ways get two parallel arrows, labels above and below
            both = (target, source) in self.plan.edges
            above = not both or c2 > c1
            y = y1 + NODE_H / 2 + ((-9 if above else 9) if both else 0)
            xa, xb = (x1 + NODE_W, x2 - 2) if c2 > c1 else (x1, x2 + NODE_W + 2)
            self.arrow(f"M{xa:.1f},{y:.1f} L{xb:.1f},{y:.1f}")
            lines = _wrap_all(words, int((COL_GAP - 24) / (SMALL * CHAR_W)))
            half = _label_height(lines) / 2 + 3
            self.label((xa + xb) / 2, y - half if above else y + half, lines)
        else:  # to another column and row: out of the side, into the top (or the bottom)
            xa, ya = (x1 + NODE_W, y1 + NODE_H / 2) if c2 > c1 else (x1, y1 + NODE_H / 2)
            xb, yb = x2 + NODE_W / 2, (y2 - 2 if r2 > r1 else y2 + NODE_H + 2)
            self.arrow(f"M{xa:.1f},{ya:.1f} C{xb:.1f},{ya:.1f} {xb:.1f},{ya:.1f} {xb:.1f},{yb:.1f}")
            self.label(xb, ya, _wrap_all(words, 30))

    def loop(self, status: CaseStatus, events: list[CaseEvent]) -> None:
        """Events that leave the status as it is: a loop on the box's left, listing them."""
        x, y = _box(self.plan.place[status])
        top, bottom = y + 12, y + NODE_H - 12
        self.arrow(
            f"M{x:.1f},{top:.1f} C{x - 40:.1f},{top - 8:.1f} {x - 40:.1f},{bottom + 8:.1f} {x - 2:.1f},{bottom:.1f}"
        )
        self.label(x - 42, y + NODE_H / 2, _wrap_all([self.event_label(e) for e in events], 26), "end")

    def anywhere(self, event: CaseEvent, target: CaseStatus, words: str) -> None:
        """An event allowed from every open status: one dashed arrow into its status, saying so above it."""
        x, y = _box(self.plan.place[target])
        cx = x + NODE_W / 2
        self.arrow(f"M{cx:.1f},{y - 24:.1f} L{cx:.1f},{y - 2:.1f}", dashed=True)
        lines = _wrap(words, 34)
        self.label(cx, y - 26 - _label_height(lines) / 2, lines)

    def state(self, status: CaseStatus, words: str) -> None:
        x, y = _box(self.plan.place[status])
        final = status in TERMINAL_STATUSES
        fill, stroke = ("#e9ecef", "#495057") if final else ("#e7f1ff", "#0a58ca")
        lines = _wrap(words)
        first = y + NODE_H / 2 - (len(lines) - 1) * (FONT + 2) / 2 + FONT * 0.35
        cx = x + NODE_W / 2
        self.boxes.append(
            f'<g class="state" data-status="{status.value}"><rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" '
            f'height="{NODE_H}" rx="10" fill="{fill}" stroke="{stroke}" stroke-width="{3 if final else 1.5}"/>'
            f'<text x="{cx:.1f}" y="{first:.1f}" text-anchor="middle" font-size="{FONT}" fill="#212529">'
            + "".join(
                f'<tspan x="{cx:.1f}" dy="{0 if n == 0 else FONT + 2}">{escape(line)}</tspan>'
                for n, line in enumerate(lines)
            )
            + "</text></g>"
        )


def svg(
    status_label: Callable[[CaseStatus], str],
    event_label: Callable[[CaseEvent], str],
    *,
    title: str,
    description: str,
    from_everywhere: Callable[[str], str],
) -> str:
    """The state diagram as an inline SVG: `status_label` and `event_label` give the reader's words,
    `from_everywhere(event)` says that the event is allowed from every open status."""
    plan = layout()
    columns = 1 + max(c for c, _ in plan.place.values())
    rows = 1 + max(r for _, r in plan.place.values())
    width = LEFT + columns * NODE_W + (columns - 1) * COL_GAP + 40
    height = TOP + rows * NODE_H + (rows - 1) * ROW_GAP + 20
    drawing = _Drawing(plan, event_label)
    drawing.start()
    for (source, target), events in plan.edges.items():
        drawing.edge(source, target, events)
    for status, events in plan.loops.items():
        drawing.loop(status, events)
    for event, target in plan.anywhere:
        drawing.anywhere(event, target, from_everywhere(event_label(event)))
    for status in plan.place:
        drawing.state(status, status_label(status))
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="state-diagram" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="diagram-title diagram-desc" '
            "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\">",
            f'<title id="diagram-title">{escape(title)}</title><desc id="diagram-desc">{escape(description)}</desc>',
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#495057"/></marker></defs>',
            *drawing.arrows,
            *drawing.boxes,
            *drawing.labels,
            "</svg>",
        ]
    )
