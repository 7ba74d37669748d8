"""Issue 24, item 2, in a real browser on a real `qa ui` (no password, loopback bind): the request
headers reach the page (``st.context.headers`` of its websocket), so a browser whose requests carry a
proxy's ``X-Forwarded-For`` gets no uploader, while the same browser without it does. (Every header
case is in tests/serve/test_owner_proof.py; this proves the wiring.) Chromium as in test_browser.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from serving import qa_ui

import qa

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; make test installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

pytestmark = pytest.mark.slow  # a real browser and a served page: left out of make test-fast

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 60_000


def test_a_browser_through_a_proxy_gets_no_uploader_and_one_from_this_machine_does(tmp_path):
    index, _ = qa.build_index(ROOT / "corpus")
    qa.save_index(index, tmp_path / "idx")
    with qa_ui(tmp_path, tmp_path / "idx", tmp_path / "data") as server, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            seen = {}
            for who, headers in (("proxied", {"X-Forwarded-For": "203.0.113.9"}), ("local", {})):
                context = browser.new_context(extra_http_headers=headers)  # every request, the websocket's too
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                page.goto(server["base"])
                page.get_by_label("Question").wait_for()
                page.get_by_role("tab", name="Documents").click()
                page.get_by_text("passages", exact=False).first.wait_for()  # the tab's document list is there
                uploader = page.locator('[data-testid="stFileUploader"]')
                if who == "local":
                    uploader.wait_for()
                else:
                    page.get_by_text("no owner's password", exact=False).wait_for()  # the sidebar says why
                seen[who] = (uploader.count(), page.get_by_role("button", name="Export feedback (CSV)").count())
                context.close()
        finally:
            browser.close()
    assert seen == {"proxied": (0, 0), "local": (1, 1)}
