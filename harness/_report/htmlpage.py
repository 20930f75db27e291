"""``timeline.html``: the report as one self-contained page.

No scripts, no network: styles are inline and the swimlane diagram is the
same SVG as ``timeline.svg``, embedded.  Every piece of text from the run is
escaped, so a note that contains markup shows up as text.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness._report.model import REQUEST, ProofReport, offset
from harness._report.svg import render_svg, xml_text

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px;
       color: #111827; background: #f9fafb; }
h1 { font-size: 22px; margin: 0 0 12px; } h2 { font-size: 17px; margin: 28px 0 8px; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px;
      overflow-x: auto; white-space: pre; }
.verdict { border-left: 6px solid #dc2626; background: #fff; padding: 10px 14px; border-radius: 4px; }
.verdict.pass { border-color: #16a34a; }
.verdict pre { border: none; padding: 4px 0; margin: 4px 0 0; white-space: pre-wrap; }
table { border-collapse: collapse; background: #fff; font-size: 13px; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
tr.bad td { background: #fde8e8; color: #991b1b; font-weight: 600; }
.diagram { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; overflow: auto;
           max-height: 80vh; }
.muted { color: #6b7280; } .stale { color: #b45309; font-weight: 600; }
"""


def render_html(report: ProofReport) -> str:
    """The whole page."""
    body = [
        f"<h1>Race report: <code>{_e(report.target)}</code></h1>",
        _verdict(report),
        "<h2>Replay</h2>",
        f"<pre>{_e(report.replay_command)}</pre>",
    ]
    if report.pytest_command and report.pytest_command != report.replay_command:
        body.append(f"<p class=\"muted\">From pytest:</p><pre>{_e(report.pytest_command)}</pre>")
    body += [_summary(report)]
    if report.race:
        body += ["<h2>What raced</h2>", f"<p>{_e(report.race)}</p>"]
    body += ["<h2>Violating requests</h2>", _violations(report),
             "<h2>Timeline</h2>", f'<div class="diagram">{_embedded_svg(report)}</div>']
    if report.notes(REQUEST):
        body += ["<h2>Requests</h2>", _requests(report)]
    body.append(_details("Full trace", "\n".join(e.line() for e in report.events)))
    if report.error is not None and report.error.traceback:
        body.append(_details(f"Traceback ({report.error.thread})", report.error.traceback))
    for section in report.sections:
        body += [f"<h2>{_e(section.title)}</h2>", f"<pre>{_e(section.text)}</pre>"]
    body += ["<h2>Versions</h2>", _table(("component", "version"), list(report.versions.items()))]
    title = f"race-harness: {report.target}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _verdict(report: ProofReport) -> str:
    if report.error is None:
        return ('<div class="verdict pass"><strong>No failure.</strong> This schedule ran to the end '
                "without failing on this code.</div>")
    error = report.error
    return (f'<div class="verdict"><strong>{_e(error.type)}</strong> in greenthread '
            f"<code>{_e(error.thread)}</code><pre>{_e(error.message)}</pre></div>")


def _summary(report: ProofReport) -> str:
    rows: list[tuple[str, str]] = [
        ("schedule", report.schedule),
        ("decisions / preemptions", f"{report.choices} / {report.preemptions}"),
        ("shrinking", report.shrink_status),
        ("preemption model", report.model),
        ("target fingerprint", report.code_fingerprint),
    ]
    if report.original_schedule and report.original_schedule != report.schedule:
        rows.append(("schedule before shrinking", report.original_schedule))
    rows += [(k.replace("_", " "), str(v)) for k, v in report.counts.items() if v is not None]
    html = "<h2>Schedule</h2>" + _table(("", ""), rows, header=False)
    if report.stale:
        html += (f'<p class="stale">Stale: the schedule was recorded on code with fingerprint '
                 f"{_e(report.fingerprint)}, not this code's {_e(report.code_fingerprint)}.</p>")
    return html


def _violations(report: ProofReport) -> str:
    found = report.violations()
    if not found:
        return '<p class="muted">No request was noted as a violation.</p>'
    rows = [(str(v.event.step), f"{offset(v.event):.6f}", v.event.thread,
             v.request.detail if v.request else "", v.event.detail) for v in found]
    return _table(("step", "t+ (s)", "greenthread", "request", "violation"), rows, bad=set(range(len(rows))))


def _requests(report: ProofReport) -> str:
    flagged = {id(v.request) for v in report.violations() if v.request is not None}
    notes = report.notes(REQUEST)
    rows = [(str(e.step), f"{offset(e):.6f}", e.thread, e.detail) for e in notes]
    bad = {i for i, e in enumerate(notes) if id(e) in flagged}
    return _table(("step", "t+ (s)", "greenthread", "request"), rows, bad=bad)


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, header: bool = True,
           bad: set[int] | None = None) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
    for i, row in enumerate(rows):
        cls = ' class="bad"' if bad and i in bad else ""
        cells = "".join(f"<td><code>{_e(c)}</code></td>" if n else f"<td>{_e(c)}</td>"
                        for n, c in enumerate(row))
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _details(summary: str, text: str) -> str:
    return f"<details><summary>{_e(summary)}</summary><pre>{_e(text)}</pre></details>"


def _embedded_svg(report: ProofReport) -> str:
    """The diagram inline (the XML prolog-free SVG is valid HTML5 content)."""
    return render_svg(report)


def _e(text: str) -> str:
    return xml_text(text)

