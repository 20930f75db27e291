"""Proof reports of races: Markdown, JSON, an HTML/SVG timeline, a regression test.

A report is built from one run (``build_report``) or from a target and a
schedule (``make_report``, which replays and shrinks), and written as a
bundle (``write_bundle``).  Notes of kind ``request``, ``response`` and
``violation`` are drawn as arrows to a server lane; a ``violation`` noted
right after a request marks that request as the violating one.
"""

from __future__ import annotations

from harness._report.bundle import Shrunk, make_report, shrink_schedule, write_bundle
from harness._report.htmlpage import render_html
from harness._report.jsonreport import load_schema, render_json, report_dict
from harness._report.markdown import render_markdown
from harness._report.model import (
    REQUEST,
    RESPONSE,
    SERVER_KINDS,
    VIOLATION,
    ErrorInfo,
    ProofReport,
    Section,
    Violation,
    build_report,
    shell_quote,
)
from harness._report.redact import Redactor
from harness._report.regression import regression_filename, render_pytest_regression, render_regression
from harness._report.svg import render_svg
from harness._report.timeline import text_timeline, violations_text

__all__ = [
    "REQUEST",
    "RESPONSE",
    "SERVER_KINDS",
    "VIOLATION",
    "ErrorInfo",
    "ProofReport",
    "Redactor",
    "Section",
    "Shrunk",
    "Violation",
    "build_report",
    "load_schema",
    "make_report",
    "regression_filename",
    "render_html",
    "render_json",
    "render_markdown",
    "render_pytest_regression",
    "render_regression",
    "render_svg",
    "report_dict",
    "shell_quote",
    "shrink_schedule",
    "text_timeline",
    "violations_text",
    "write_bundle",
]
