"""The page and its JSON API in a real browser: `qa ui` started as a user would, driven by chromium.

Two `qa ui` servers (page and API in one process) are started for the module on free ports,
with their index, cache and data folder in tmp, and are always stopped at the end: one as its
owner sees it (loopback, no password: uploads), one with an owner's password nobody enters (what
a visitor sees: no offsets, scores or paths; the answer in view at 1280x900 and 390x844). The browser
is Debian's chromium (``apt-get install chromium``; ``make test`` installs it), driven by
Playwright's sync API: Playwright's own browser download is never used. Without chromium or
the playwright package the module is skipped with the reason.

The test also takes a screenshot (the visitor's page answering the seed question, full page,
1300 px wide) into its tmp folder; ``make screenshot`` sets ``$QA_SCREENSHOT`` to write
``docs/screenshot.png``, the picture at the top of the README, on purpose (no test writes a
tracked file otherwise).
"""

from __future__ import annotations

import os
import re
import time
import urllib.parse
from pathlib import Path

import pytest

import qa
from serving import get_json, qa_ui

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; make test installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

pytestmark = pytest.mark.slow  # a real browser and a served page: left out of make test-fast

ROOT = Path(__file__).resolve().parents[2]
SEED_QUESTION = "Where do I go to pay social security myself?"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000  # for any one thing to appear on the page (generous: CI machines are shared)

CONTRACT = {"question", "answer", "abstained", "reason", "confidence", "sentences", "passages"}
PASSAGE_CONTRACT = {"rank", "id", "doc_id", "source", "title", "section", "text", "start", "end", "score"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``qa ui --port P --index IDX --data DATA``, running, as its owner sees it (loopback, no
    password); yields its base URL and folders."""
    tmp = tmp_path_factory.mktemp("browser")
    index_dir = tmp / "index"
    index, _ = qa.build_index(ROOT / "corpus")
    qa.save_index(index, index_dir)
    with qa_ui(tmp, index_dir, tmp / "data") as running:
        yield {**running, "tmp": tmp}


@pytest.fixture(scope="module")
def visitor_server(tmp_path_factory):
    """The same page with an owner's password nobody here enters: what every visitor of a published
    page sees (and the screenshot shows)."""
    tmp = tmp_path_factory.mktemp("browser-visitor")
    index_dir = tmp / "index"
    index, _ = qa.build_index(ROOT / "corpus")
    qa.save_index(index, index_dir)
    with qa_ui(tmp, index_dir, tmp / "data", extra_env={"QA_ADMIN_PASSWORD": os.urandom(12).hex()}) as running:
        yield {**running, "tmp": tmp}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


def _ask(page, question: str) -> None:
    box = page.get_by_label("Question")
    box.fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()


def _full_page_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its own container, so grow the window to the content first."""
    page.evaluate("window.scrollTo(0, 0)")
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stAppViewContainer], [data-testid=stSidebarContent], body'),"
        " e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": 1300, "height": int(min(max(height, 800), 6000))})
    page.wait_for_timeout(300)  # one layout pass at the new size
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def test_health_reports_the_index(server):
    health = server["health"]
    assert health["status"] == "ok"
    assert health["documents"] == len(list((ROOT / "corpus").glob("*.txt"))) and health["passages"] > 1
    assert health["index_version"]


def test_api_answers_with_the_json_contract(server):
    status, obj = get_json(server["base"] + "/api/ask?" + urllib.parse.urlencode({"q": SEED_QUESTION, "k": 3}))
    assert status == 200
    assert CONTRACT <= set(obj)
    assert obj["question"] == SEED_QUESTION and not obj["abstained"]
    assert obj["sentences"] and all(1 <= s["passage"] <= len(obj["passages"]) for s in obj["sentences"])
    assert all(PASSAGE_CONTRACT <= set(p) for p in obj["passages"])
    assert "household registration" in obj["answer"]
    status, obj = get_json(server["base"] + "/api/ask?q=%3F%3F%3F")
    assert status == 400 and obj["error"]
    status, obj = get_json(server["base"] + "/api/ask?q=pay&k=51")
    assert status == 400 and "k" in obj["error"]


def _settled_counts(page, timeout_s: float = 30.0) -> tuple[int, int]:
    """(passage anchors, passage boxes) once two readings 300 ms apart agree."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        now = (page.locator('[id^="passage-"]').count(), page.locator(".qa-passage").count())
        if now == last or time.monotonic() > deadline:
            return now
        last = now
        page.wait_for_timeout(300)


def test_ask_cite_and_screenshot(visitor_server, page, tmp_path):
    server = visitor_server
    page.goto(server["base"] + "/")
    _ask(page, SEED_QUESTION)

    answer = page.locator(".qa-answer")
    sync_api.expect(answer).to_be_visible()
    sync_api.expect(answer).to_contain_text(re.compile(r"\[\d+\]"))
    passages = page.locator(".qa-passage")
    sync_api.expect(passages.first).to_be_visible()
    sync_api.expect(page.locator(".qa-passage", has_text="household registration").first).to_be_visible()
    ids, shown = _settled_counts(page)  # the page renders passages one by one: count once it has settled
    assert ids == shown >= 1

    # A citation [n] links to its passage: following it brings passage n into view.
    cites = answer.locator("a.qa-cite")
    targets = [cites.nth(i).get_attribute("href") for i in range(cites.count())]
    assert targets and all(re.fullmatch(r"#passage-\d+", t) for t in targets)
    target = max(targets, key=lambda t: int(t.split("-")[1]))  # the lowest passage on the page
    passage = page.locator(target)
    page.set_viewport_size({"width": 1300, "height": 700})
    page.evaluate("window.scrollTo(0, 0)")
    sync_api.expect(passage).not_to_be_in_viewport()
    answer.locator(f'a.qa-cite[href="{target}"]').first.click()
    sync_api.expect(passage).to_be_in_viewport()

    # The same question through the API of the same server, as the page's own browser would ask it.
    response = page.request.get(server["base"] + "/api/ask", params={"q": SEED_QUESTION})
    assert response.ok and CONTRACT <= set(response.json())
    first = response.json()["sentences"][0]["text"]
    sync_api.expect(answer).to_contain_text(first)  # the page and the API answer alike

    screenshot = Path(os.environ.get("QA_SCREENSHOT") or tmp_path / "screenshot.png")  # make screenshot: docs/
    _full_page_screenshot(page, screenshot)
    assert screenshot.stat().st_size > 10_000

    # "Show in source", where the page has it: the passage in its document's own text.
    toggle = page.get_by_text("Show in source", exact=True)
    if toggle.count():
        toggle.first.click()
        context = page.locator(".qa-context").first
        sync_api.expect(context).to_be_visible()
        assert len(context.inner_text()) >= len(page.locator(".qa-passage").first.inner_text()) - 5


def _tab(page, name: str, shows) -> None:
    """Open the page's tab `name` (if the page has tabs) and wait until it `shows` (a locator).

    A click that lands while the page is rerunning (after an upload, say) can be dropped, as a
    user would see; click again, as a user would, until the tab's content is there."""
    tab = page.get_by_role("tab", name=name)
    for _ in range(4):
        if tab.count():
            tab.first.click()
        try:
            shows.first.wait_for(state="visible", timeout=15_000)
            return
        except sync_api.TimeoutError:
            continue
    shows.first.wait_for(state="visible")  # the last chance, with the default timeout


def test_upload_a_document_and_ask_about_it(server, page):
    page.goto(server["base"] + "/")
    sync_api.expect(page.get_by_label("Question")).to_be_visible()
    uploader = page.locator('[data-testid="stFileUploader"]')
    _tab(page, "Documents", shows=uploader)
    before = get_json(server["base"] + "/api/health")[1]["documents"]
    doc = server["tmp"] / "parking-permits.txt"
    doc.write_text(
        "Parking permits\n\nResidents apply for a parking permit at the town hall kiosk on Tuesdays. "
        "A resident parking permit costs twelve euros a year.\n",
        encoding="utf-8",
    )
    uploader.locator('input[type="file"]').set_input_files(str(doc))
    sync_api.expect(uploader).to_contain_text(doc.name)  # the upload to the server is complete
    add = page.locator('[data-testid="stButton"] button', has_text=re.compile(r"^\s*(add|index|upload)", re.I))
    # The page reruns after the upload: wait for the button to be there and enabled before
    # clicking, and click again if a rerun swallowed the first click.
    sync_api.expect(add.first).to_be_enabled()
    start = time.monotonic()
    clicks = 0
    while get_json(server["base"] + "/api/health")[1]["documents"] <= before:
        elapsed = time.monotonic() - start
        if elapsed > 90:
            pytest.fail("the uploaded document never reached the index the API answers from")
        if clicks == 0 or (clicks == 1 and elapsed > 30):
            add.first.click()
            clicks += 1
        time.sleep(0.2)

    question = "Where do residents apply for a parking permit?"
    status, obj = get_json(server["base"] + "/api/ask?" + urllib.parse.urlencode({"q": question}))
    assert status == 200 and "town hall kiosk" in obj["answer"]
    _tab(page, "Ask", shows=page.get_by_label("Question"))
    _ask(page, question)
    sync_api.expect(page.locator(".qa-answer")).to_contain_text("town hall kiosk")


HOSTILE = (
    "Refund rules\n\n"
    "Refunds are paid by the refund desk within ten days. "
    "<script>window.__pwned = 'script'</script> <img src=x onerror=\"window.__pwned = 'img'; alert(1)\"> "
    "<a href=\"javascript:alert(1)\">desk page</a> [refund form](javascript:window.__pwned='link') "
    ":red[urgent] :material/home: $\\LaTeX$ $$x^2$$ **bold** at the refund desk.\n"
)


def test_a_hostile_document_is_shown_as_text_and_runs_nothing(server, page):
    """HTML, links, Markdown and Streamlit directives from a document, in the answer, the passages
    and "Show in source": no script runs, no dialog opens, no javascript: link or rendered maths,
    icon or colour exists, and the page shows the characters themselves."""
    from qa.serve.library import Library

    Library(server["tmp"] / "data").add_uploads([("refunds.txt", HOSTILE.encode())])  # what the page's Add calls
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server["base"] + "/?" + urllib.parse.urlencode({"q": "Who pays refunds and within how many days?"}))
    passage = page.locator(".qa-passage", has_text="refund desk within ten days").first
    sync_api.expect(passage).to_be_visible()
    shown = passage.inner_text()
    for literal in (
        "<script>window.__pwned = 'script'</script>",
        "<img src=x onerror=",
        '<a href="javascript:alert(1)">',
        "[refund form](javascript:window.__pwned='link')",
        ":red[urgent]",
        ":material/home:",
        "$\\LaTeX$",
        "$$x^2$$",
        "**bold**",
    ):
        assert literal in shown, literal
    toggle = page.get_by_text("Show in source", exact=True).first
    toggle.click()
    sync_api.expect(page.locator(".qa-context", has_text=":material/home:").first).to_be_visible()
    page.wait_for_timeout(500)  # time for an injected script or a failed image load to run
    assert page.evaluate("window.__pwned") is None and dialogs == []
    assert page.locator('a[href^="javascript:" i]').count() == 0
    main = page.locator('[data-testid="stMain"]')
    assert main.locator(".katex, img[src='x']").count() == 0  # no rendered maths, no image element
    icons = main.locator("[data-testid='stIconMaterial']")  # the page's own thumbs are icons; "home" is not
    assert "home" not in [icons.nth(i).inner_text().strip() for i in range(icons.count())]
    assert main.locator(".qa-passage strong, .qa-context strong, .qa-passage script").count() == 0


def test_two_visitors_do_not_see_each_others_questions(server, browser):
    """Two browser contexts (two visitors, no shared cookies) asking at once: each sidebar lists only its own."""
    mine, theirs = SEED_QUESTION, "What do I need to bring to the street office to apply?"
    contexts = [browser.new_context(viewport={"width": 1300, "height": 1000}) for _ in range(2)]
    try:
        pages = [c.new_page() for c in contexts]
        for p, question in zip(pages, (mine, theirs)):
            p.set_default_timeout(TIMEOUT_MS)
            p.goto(server["base"] + "/")
            _ask(p, question)
            sync_api.expect(p.locator(".qa-answer")).to_be_visible()
        for p, own, other in ((pages[0], mine, theirs), (pages[1], theirs, mine)):
            sidebar = p.locator('[data-testid="stSidebar"]')
            sync_api.expect(sidebar).to_contain_text(own)
            assert other not in sidebar.inner_text()
    finally:
        for c in contexts:
            c.close()


# The same Chinese text drawn twice in the page's own font: real glyphs differ from each other; the
# missing-glyph box is the same box for every character.
_CJK_GLYPHS = """() => {
  const family = getComputedStyle(document.querySelector('[data-testid="stMarkdownContainer"]') || document.body)
    .fontFamily;
  const draw = (ch) => {
    const c = document.createElement('canvas'); c.width = c.height = 40;
    const g = c.getContext('2d'); g.font = `32px ${family}`; g.fillText(ch, 2, 34);
    return Array.from(g.getImageData(0, 0, 40, 40).data).join(',');
  };
  const a = draw('医'), b = draw('保'), blank = draw(' ');
  return {family, differ: a !== b, inked: a !== blank && b !== blank,
          noto: document.fonts.check('16px "Noto Sans CJK SC"')};
}"""


SEED_QUESTION_ZH = "找到新工作后医保转移由谁办理？"
SIZES = [(1280, 900), (390, 844)]
# What the engine's internals look like in a page's text: character offsets, scores, percentages.
INTERNALS = re.compile(r"characters|字符|\bscore\b|得分|\d\s*%|\d+\u2013\d+|evidence|coverage|word weight", re.I)

# The first answer sentence's box (a Range over the answer's first text node) and the top bar's bottom.
_FIRST_SENTENCE = """() => {
  const root = document.querySelector('.qa-answer');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node = walker.nextNode();
  while (node && !node.data.trim()) node = walker.nextNode();
  const range = document.createRange();
  range.selectNodeContents(node);
  const r = range.getBoundingClientRect();
  const bar = document.querySelector('[data-testid="stHeader"]');
  return {text: node.data, top: r.top, bottom: r.bottom, left: r.left, right: r.right,
          bar: bar ? bar.getBoundingClientRect().bottom : 0, width: window.innerWidth, height: window.innerHeight};
}"""


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("question", [SEED_QUESTION, SEED_QUESTION_ZH], ids=["en", "zh"])
def test_a_visitor_sees_the_answer_first_and_no_internals(visitor_server, browser, size, question):
    """After asking, the answer's first sentence is inside the window without scrolling, below the top
    bar; the page's text has no character offsets, scores, percentages or server paths."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(visitor_server["base"] + "/")
        sync_api.expect(page.locator('[class*="st-key-example-"] button').first).to_be_visible()
        _ask(page, question)
        answer = page.locator(".qa-answer")
        sync_api.expect(answer.locator("a.qa-cite").first).to_be_visible()
        _settled_counts(page)
        first = page.request.get(visitor_server["base"] + "/api/ask", params={"q": question}).json()["sentences"][0]
        box = page.evaluate(_FIRST_SENTENCE)
        words = box["text"].strip().removeprefix("•").strip()  # a list item unit is shown with its bullet
        assert words and words in first["text"], (box["text"], first["text"])
        assert box["bar"] <= box["top"] and box["bottom"] <= box["height"], box
        assert 0 <= box["left"] and box["right"] <= box["width"] + 1, box

        shown = (
            page.locator('[data-testid="stMain"]').inner_text()
            + "\n"
            + (page.locator('[data-testid="stSidebar"]').inner_text() if width > 640 else "")
        )
        assert not INTERNALS.search(shown), INTERNALS.search(shown)
        for path in (str(visitor_server["tmp"]), str(ROOT), "/tmp/", str(Path.home())):
            assert path not in shown, path
        assert page.locator(".qa-passage").count() >= 1
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_finished_page_at_desktop_and_phone_width(visitor_server, browser, size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(visitor_server["base"] + "/")
        sync_api.expect(page.get_by_label("Question")).to_be_visible()
        # No Deploy button or developer menu for visitors.
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
        assert page.get_by_role("button", name="Deploy").count() == 0
        # Chinese text is drawn with a CJK font, not as missing-glyph boxes.
        glyphs = page.evaluate(_CJK_GLYPHS)
        assert "Noto Sans CJK SC" in glyphs["family"]
        assert glyphs["differ"] and glyphs["inked"], glyphs
        # The example questions wrap inside the window.
        examples = page.locator('[class*="st-key-example-"] button')
        sync_api.expect(examples.first).to_be_visible()
        for i in range(examples.count()):
            box = examples.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (i, box)

        # A citation brings its passage fully into view below the top bar, highlighted.
        _ask(page, SEED_QUESTION)
        answer = page.locator(".qa-answer")
        sync_api.expect(answer.locator("a.qa-cite").first).to_be_visible()
        _settled_counts(page)
        cites = answer.locator("a.qa-cite")
        numbers = [int(cites.nth(i).inner_text().strip("[]")) for i in range(cites.count())]
        assert numbers[0] == 1 and all(n <= max(numbers[:i], default=0) + 1 for i, n in enumerate(numbers))
        target = f"#passage-{max(numbers)}"
        page.evaluate("window.scrollTo(0, 0)")
        answer.locator(f'a.qa-cite[href="{target}"]').first.click()
        passage = page.locator(target)
        sync_api.expect(passage).to_be_in_viewport(ratio=1.0)
        page.wait_for_timeout(800)  # the smooth scroll, if any, has ended
        where = page.evaluate(
            """(sel) => {
          const r = document.querySelector(sel).getBoundingClientRect();
          const bar = document.querySelector('[data-testid="stHeader"]');
          return {top: r.top, bottom: r.bottom, bar: bar ? bar.getBoundingClientRect().bottom : 0,
                  height: window.innerHeight, bg: getComputedStyle(document.querySelector(sel)).backgroundColor};
        }""",
            target,
        )
        assert where["bar"] <= where["top"] and where["bottom"] <= where["height"], where
        assert where["bg"] not in ("rgba(0, 0, 0, 0)", "transparent"), where  # the :target highlight

        # The documents list is a table of text (a screen reader reads it), every column inside the window.
        table = page.locator("table.qa-documents")
        _tab(page, "Documents", shows=table)
        page.wait_for_timeout(500)
        assert page.get_by_role("table").filter(has_text="000_88822b98fb06234c.txt").count() == 1
        cells = table.locator("tbody tr").first.locator("td")
        assert cells.count() == 5
        fit = page.evaluate("""() => {
          const t = document.querySelector('table.qa-documents');
          const r = t.getBoundingClientRect();
          return {scroll: t.parentElement.scrollWidth, client: t.parentElement.clientWidth, right: r.right,
                  left: r.left};
        }""")
        assert fit["scroll"] <= fit["client"] + 1 and fit["left"] >= 0 and fit["right"] <= width + 1, fit
    finally:
        context.close()
