"""The swimlane sequence diagram: one lane per greenthread, one for the server.

Time runs down.  A coloured bar on a lane shows when that greenthread held
control; an orange diamond marks a preemption (a non-default choice of the
schedule); arrows to the server lane are the requests the program sent, and
the violating one is red on a red band with what the oracle said under it.
Self-contained SVG 1.1: no scripts, no external fonts or images, every text
escaped.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from html import escape

from harness._report.model import SERVER_LANE, ProofReport, offset
from harness._report.timeline import Row, lanes, rows, window

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
CHAR_W = 7.3
PALETTE = ("#2563eb", "#059669", "#7c3aed", "#d97706", "#db2777", "#0891b2", "#65a30d", "#9333ea")
RED, RED_BAND, ORANGE, GREY = "#dc2626", "#fde8e8", "#ea580c", "#6b7280"
GUTTER, MARGIN, ROW_H, TALL_H, HEAD_H, TITLE_H = 118, 16, 24, 46, 44, 104
MAX_ROWS = 400
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class _Layout:
    names: list[str]
    lane_w: int
    heights: list[int]
    tops: list[int]

    def x(self, lane: str) -> float:
        index = self.names.index(lane) if lane in self.names else 0
        return GUTTER + self.lane_w * (index + 0.5)

    @property
    def width(self) -> int:
        return GUTTER + self.lane_w * len(self.names) + MARGIN

    @property
    def bottom(self) -> int:
        return self.tops[-1] + self.heights[-1] if self.tops else TITLE_H + HEAD_H + 20


def render_svg(report: ProofReport) -> str:
    """The whole diagram as an SVG document."""
    shown, cut = window(rows(report), MAX_ROWS)
    names = lanes(report)
    lane_w = 300 if len(names) <= 4 else 240
    heights = [TALL_H if r.violation or r.style == "fail" else ROW_H for r in shown]
    tops, y = [], TITLE_H + HEAD_H + 24
    for h in heights:
        tops.append(y)
        y += h
    layout = _Layout(names, lane_w, heights, tops)
    height = layout.bottom + 56
    parts = [_open(layout.width, height, report), _defs(), _title(report, layout.width)]
    parts += _bands(shown, layout)
    parts += _lanes(report, layout, height)
    parts += _activations(shown, layout)
    for row, top, h in zip(shown, tops, heights, strict=True):
        if row.style == "gap":
            gap = f"... {cut} events not shown (see report.json) ..."
            parts.append(_text(GUTTER, top + ROW_H / 2 + 4, gap, fill=GREY, size=11, style="italic"))
        else:
            parts += _row(row, top, h, layout)
    parts.append(_legend(layout.bottom + 24))
    parts.append("</svg>\n")
    return "\n".join(parts)


def _open(width: int, height: int, report: ProofReport) -> str:
    label = xml_text(f"race-harness timeline of {report.target}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
            f'font-family="{FONT}" font-size="12">\n'
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')


def _defs() -> str:
    def marker(name: str, colour: str) -> str:
        return (f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" '
                'markerWidth="10" markerHeight="10" orient="auto-start-reverse">'
                f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>')

    return f"<defs>{marker('arrow', '#374151')}{marker('arrow-red', RED)}{marker('arrow-grey', GREY)}</defs>"


def _title(report: ProofReport, width: int) -> str:
    verdict = f"{report.error.type}: {report.error.message}" if report.error else "no failure"
    first = verdict.splitlines()[0] if verdict else ""
    chars = int((width - 2 * MARGIN) / CHAR_W)
    parts = [
        _text(MARGIN, 24, f"race-harness: {report.target} ({report.model})", size=15, weight="bold"),
        _text(MARGIN, 46, _clip(first, chars), fill=RED if report.error else "#15803d", weight="bold"),
        _text(MARGIN, 66, _clip(f"schedule {report.schedule}", chars), fill="#374151", size=11),
    ]
    if report.race:  # what raced, under the verdict (the full text is in the report)
        parts.append(_text(MARGIN, 86, _clip(report.race, chars), fill=RED, size=11))
    return "\n".join(parts)


def _bands(shown: list[Row], layout: _Layout) -> list[str]:
    out = []
    for row, top, h in zip(shown, layout.tops, layout.heights, strict=True):
        if row.violation or row.style == "fail":
            out.append(f'<rect x="4" y="{top}" width="{layout.width - 8}" height="{h}" '
                       f'fill="{RED_BAND}" rx="3"/>')
    return out


def _lanes(report: ProofReport, layout: _Layout, height: int) -> list[str]:
    spawned = _spawned_functions(report)
    out = [_text(8, TITLE_H + 22, "step", fill=GREY, size=11),
           _text(56, TITLE_H + 22, "t+ (s)", fill=GREY, size=11)]
    for i, name in enumerate(layout.names):
        x = layout.x(name)
        colour = _colour(name, i)
        box_w = layout.lane_w - 24
        out.append(f'<rect x="{x - box_w / 2:.1f}" y="{TITLE_H}" width="{box_w}" height="{HEAD_H - 6}" '
                   f'rx="6" fill="{colour}" fill-opacity="0.12" stroke="{colour}"/>')
        out.append(_text(x, TITLE_H + 16, name, anchor="middle", weight="bold", fill=colour))
        sub = spawned.get(name, "the run's body" if name == "gt0" else "")
        if name == SERVER_LANE:
            sub = "requests noted by the fake"
        if sub:
            out.append(_text(x, TITLE_H + 31, _clip(sub, int(box_w / 6.6)), anchor="middle", size=10,
                             fill=GREY))
        out.append(f'<line x1="{x:.1f}" y1="{TITLE_H + HEAD_H - 6}" x2="{x:.1f}" y2="{layout.bottom + 6}" '
                   f'stroke="#d1d5db" stroke-dasharray="4 4"/>')
    return out


def _activations(shown: list[Row], layout: _Layout) -> list[str]:
    out = []
    starts = [i for i, r in enumerate(shown) if r.event.kind == "run" or r.style == "gap"]
    for n, i in enumerate(starts):
        if shown[i].style == "gap":
            continue
        end = starts[n + 1] if n + 1 < len(starts) else len(shown)
        lane = shown[i].lane
        x = layout.x(lane)
        top = layout.tops[i] + 3
        bottom = layout.tops[end - 1] + layout.heights[end - 1] - 3
        colour = _colour(lane, layout.names.index(lane) if lane in layout.names else 0)
        out.append(f'<rect x="{x - 5:.1f}" y="{top}" width="10" height="{max(4, bottom - top)}" rx="3" '
                   f'fill="{colour}" fill-opacity="0.55"/>')
    return out


def _row(row: Row, top: int, h: int, layout: _Layout) -> list[str]:
    event = row.event
    mid = top + ROW_H / 2 + 4
    out = [f"<g><title>{xml_text(f'step {event.step} {event.thread} {event.kind}: {event.detail}')}</title>",
           _text(8, mid, str(event.step), fill=GREY, size=11),
           _text(56, mid, f"{offset(event):.3f}", fill=GREY, size=11)]
    x = layout.x(row.lane)
    if row.to_server or row.from_server:
        out += _arrow_row(row, top, layout)
    elif row.style == "spawn":
        out += _spawn_row(row, top, layout)
    else:
        colour = {"fail": RED, "preempt": ORANGE}.get(row.style, "#111827")
        weight = "bold" if row.style in ("fail", "preempt") else "normal"
        chars = int((layout.lane_w * 1.5 - 20) / CHAR_W)  # one event per row: room to the right
        text = f"FAIL {row.text}" if row.style == "fail" else row.text
        lines = textwrap.wrap(text, chars)[:2] if row.style == "fail" else [_clip(text, chars)]
        for n, line in enumerate(lines):
            out.append(_text(x + 10, mid + 16 * n, line, fill=colour, weight=weight))
        if row.style == "preempt":
            out.append(f'<path d="M{x - 14:.1f},{top + 4} l7,8 l-7,8 l-7,-8 z" fill="{ORANGE}"/>')
    out.append("</g>")
    return out


def _arrow_row(row: Row, top: int, layout: _Layout) -> list[str]:
    start, end = layout.x(row.lane), layout.x(SERVER_LANE)
    if row.from_server:
        start, end = end, start
    bad = row.style == "violation"
    y = top + (21 if bad else ROW_H - 5)
    colour, marker = (RED, "arrow-red") if bad else ("#374151", "arrow")
    width = 2.5 if bad else 1.2
    kind = "violating-request" if bad else ("response" if row.from_server else "request")
    out = [f'<line class="{kind}" x1="{start + 6:.1f}" y1="{y}" x2="{end - 6:.1f}" y2="{y}" '
           f'stroke="{colour}" stroke-width="{width}" marker-end="url(#{marker})"/>']
    left = min(start, end) + 10
    chars = int((layout.width - MARGIN - left) / CHAR_W)  # nothing else is drawn right of the arrow
    out.append(_text(left, y - 5, _clip(row.text, chars), fill=colour, weight="bold" if bad else "normal",
                     size=11))
    if bad and row.violation:
        out.append(_text(left, y + 17, _clip(f"VIOLATION: {row.violation}", chars), fill=RED,
                         weight="bold", size=11))
    return out


def _spawn_row(row: Row, top: int, layout: _Layout) -> list[str]:
    x = layout.x(row.lane)
    child = row.event.detail.split(" ", 1)[0]
    y = top + ROW_H / 2 + 4
    out = [_text(x + 10, y, _clip(row.text, int((layout.lane_w - 20) / CHAR_W)), fill=GREY, style="italic")]
    if child in layout.names and child != row.lane:
        end = layout.x(child)
        out.append(f'<line x1="{x + 6:.1f}" y1="{y + 5}" x2="{end - 8:.1f}" y2="{y + 5}" stroke="{GREY}" '
                   f'stroke-dasharray="2 3" marker-end="url(#arrow-grey)"/>')
    return out


def _legend(y: int) -> str:
    items = ['<g id="legend">',
        f'<rect x="{MARGIN}" y="{y - 10}" width="10" height="14" rx="3" fill="{PALETTE[0]}" '
        'fill-opacity="0.55"/>',
        _text(MARGIN + 16, y, "holds control", size=11, fill=GREY),
        f'<path d="M{MARGIN + 130},{y - 11} l7,8 l-7,8 l-7,-8 z" fill="{ORANGE}"/>',
        _text(MARGIN + 142, y, "preemption (non-default choice)", size=11, fill=GREY),
        f'<line x1="{MARGIN + 390}" y1="{y - 4}" x2="{MARGIN + 430}" y2="{y - 4}" stroke="#374151" '
        'marker-end="url(#arrow)"/>',
        _text(MARGIN + 438, y, "request", size=11, fill=GREY),
        f'<line x1="{MARGIN + 510}" y1="{y - 4}" x2="{MARGIN + 550}" y2="{y - 4}" stroke="{RED}" '
        'stroke-width="2.5" marker-end="url(#arrow-red)"/>',
        _text(MARGIN + 558, y, "violating request", size=11, fill=RED),
        "</g>",
    ]
    return "\n".join(items)


def _spawned_functions(report: ProofReport) -> dict[str, str]:
    found: dict[str, str] = {}
    for event in report.events:
        if event.kind == "spawn":
            name, _, what = event.detail.partition(" ")
            found[name] = what.replace(".<locals>.", ".").removeprefix("body ")
    return found


def _colour(name: str, index: int) -> str:
    if name in (SERVER_LANE, "hub"):
        return "#374151"
    return PALETTE[index % len(PALETTE)]


def _clip(text: str, chars: int) -> str:
    chars = max(chars, 4)
    return text if len(text) <= chars else text[: chars - 3] + "..."


def _text(x: float, y: float, content: str, *, fill: str = "#111827", size: int = 12, anchor: str = "start",
          weight: str = "normal", style: str = "normal") -> str:
    attrs = f'x="{x:.1f}" y="{y:.1f}" fill="{fill}" font-size="{size}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if weight != "normal":
        attrs += f' font-weight="{weight}"'
    if style != "normal":
        attrs += f' font-style="{style}"'
    return f"<text {attrs}>{xml_text(content)}</text>"


def xml_text(content: str) -> str:
    """Escaped text with the control characters XML forbids replaced by U+FFFD."""
    return escape(_CONTROL.sub("\ufffd", content))
