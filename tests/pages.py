"""Helpers that drive the Streamlit page headless (AppTest), shared by test_app.py and test_chinese.py.
The isolation they need (tmp data folder and cache) is the `isolated_page` fixture in conftest.py."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")


def _page() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30).run()


def _tab(at: AppTest, name: str) -> AppTest:
    """Open a tab, as a click on it does (only the open tab's content runs)."""
    at.session_state["tab"] = name
    return at.run()


def _ask(at: AppTest, question: str) -> AppTest:
    if not at.text_input:  # the Documents tab is open
        _tab(at, "Ask")
    at.text_input(key="question").input(question)
    next(b for b in at.button if b.label == "Ask").click()
    return at.run()


def _texts(at: AppTest) -> list[str]:
    """Every string the page shows that Markdown renders: bodies and labels, main area and sidebar."""
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "warning", "error", "info", "success"):
        out += [e.value for e in getattr(at, kind)]
    out += [b.label for b in at.button] + [e.label for e in at.expander] + [m.label for m in at.metric]
    return out


def documents_table(at: AppTest) -> list[list[str]]:
    """The Documents tab's table (a real HTML table), as rows of cell texts, entities decoded."""
    import html
    import re

    for value in _texts(at):
        if 'class="qa-table qa-documents"' in value:
            body = value.split("<tbody>", 1)[1]
            return [
                [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
                for row in re.findall(r"<tr>(.*?)</tr>", body)
            ]
    return []
