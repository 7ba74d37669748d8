"""qa.render: document text is always shown as text, highlights are placed by offset, and the JSON contract."""

from __future__ import annotations

import html
import json
import re

import pytest

from qa.serve.render import answer_html, answer_to_dict, answer_to_text, escape, hit_location, passage_html
from qa.text import Analyzer
from qa.types import Answer, Hit, Passage, Sentence

# A passage that starts at offset 100 of its document, so offsets must be shifted correctly.
BASE = 100
TEXT = "Pay the insurance yourself. <b>Insurances</b> cost $5 & more.\nAsk [here](javascript:alert(1))."
PASSAGE = Passage("doc.txt#1", "doc.txt", "doc.txt", "Guide", "Paying", BASE, BASE + len(TEXT), TEXT)
HIT = Hit(rank=1, passage=PASSAGE, score=2.5, matched_terms=("insur", "pay"), coverage=0.8)
OTHER = Hit(
    rank=2,
    passage=Passage("doc.txt#2", "doc.txt", "doc.txt", "Guide", "", 300, 310, "Other text"),
    score=1.0,
    matched_terms=(),
    coverage=0.1,
)
FIRST = "Pay the insurance yourself."
ANSWER = Answer(
    question="Who pays the insurance?",
    sentences=(Sentence(FIRST, 1, BASE, BASE + len(FIRST), 0.9),),
    hits=(HIT, OTHER),
    abstained=False,
    reason=None,
    reason_code=None,
    confidence=0.75,
    query_terms=("pays", "insurance"),
    corrections=(("insurence", "insurance"),),
)
ABSTAINED = Answer(
    question="What about unicorns?",
    sentences=(),
    hits=(),
    abstained=True,
    reason="No word of the question appears in these documents (searched for: unicorns).",
    reason_code="no_match",
    confidence=0.0,
    query_terms=("unicorns",),
)

CONTRACT = {"question", "answer", "abstained", "reason", "confidence", "sentences", "passages"}
EXTRAS = {"reason_code", "query_terms", "corrections", "language"}
SENTENCE_CONTRACT = {"text", "passage"}
SENTENCE_EXTRAS = {"start", "end", "kind"}  # and "spans" / "lines" for units of several pieces / lines
PASSAGE_CONTRACT = {"rank", "id", "doc_id", "source", "title", "section", "text", "start", "end", "score"}
PASSAGE_EXTRAS = {"matched_terms", "coverage", "page"}


# --- escape -------------------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "![img](http://x/y.png)",
    "**bold** and __bold__ and *it* and _it_",
    "$x^2$ and $$\\sum$$",
    ":red[danger] :material/home:",
    "# heading\n\n- list\n> quote\n```code```",
    "a | table | row\n---|---",
    "<a href='x'>&amp; &lt;</a>",
    "line one\n\nline two\r\nthree",
    "plain text stays plain",
    "\u4e2d\u6587 \U0001f600 caf\u00e9",
]


SPECIAL = "&<>\"'`*_[](){}#+-!|~$:\\=^@%"


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_leaves_no_markup_character(text):
    # Once the numeric entities and <br> tags are taken out, no character HTML or Markdown acts on is left.
    rest = re.sub(r"&#\d+;", "", escape(text).replace("<br>", ""))
    assert not set(rest) & set(SPECIAL)


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_round_trips_to_the_original_text(text):
    # Shown as text: what a browser displays is exactly the document's characters (line breaks as <br>).
    assert html.unescape(escape(text).replace("<br>", "\n")) == text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize(
    "text, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("[x](javascript:alert(1))", "](javascript"),
        ("[x](javascript:alert(1))", "javascript:"),
        ("**bold**", "**"),
        ("$math$", "$"),
        (":red[x]", ":red["),
    ],
)
def test_escape_neutralises(text, forbidden):
    assert forbidden not in escape(text)


@pytest.mark.parametrize("text", ["a\n\nb", "a\r\n\r\nb", "a\r\rb", "a\n\rb"])
def test_escape_turns_every_line_ending_into_br(text):
    # \r and \r\n end lines in Markdown too: left in, "a\r\rb" would be a blank line that ends the HTML block.
    assert escape(text) == "a<br><br>b"


def test_escape_keeps_plain_words():
    assert escape("Pay the insurance yourself") == "Pay the insurance yourself"


# --- passage_html -------------------------------------------------------------------------------------


def test_passage_html_marks_matched_words_by_offset():
    out = passage_html(HIT, ANSWER, Analyzer())
    marked = re.findall(r"<mark>(.*?)</mark>", out)
    # "Pay", "insurance" and "Insurances" analyse to the matched terms; "yourself" and "cost" do not.
    assert marked == ["Pay", "insurance", "Insurances"]


def test_passage_html_wraps_the_cited_sentence():
    out = passage_html(HIT, ANSWER, Analyzer())
    cited = "".join(re.findall(r'<span class="qa-cited">(.*?)</span>', out))
    assert html.unescape(re.sub(r"</?mark>", "", cited)) == FIRST


def test_passage_html_shows_the_whole_passage_escaped():
    out = passage_html(HIT, ANSWER, Analyzer())
    visible = re.sub(r'</?mark>|<span class="qa-cited">|</span>', "", out)
    assert html.unescape(visible.replace("<br>", "\n")) == TEXT
    assert "<b>" not in out and "](javascript" not in out


def test_passage_html_of_an_uncited_passage_has_no_cited_span():
    out = passage_html(OTHER, ANSWER, Analyzer())
    assert "qa-cited" not in out and "<mark>" not in out
    assert out == escape(OTHER.passage.text)


def test_passage_html_ignores_sentences_citing_other_passages():
    other_answer = Answer(
        **{
            **{f: getattr(ANSWER, f) for f in ANSWER.__dataclass_fields__},
            "sentences": (Sentence("Other text", 2, 300, 310, 0.5),),
        }
    )
    assert "qa-cited" not in passage_html(HIT, other_answer, Analyzer())


# --- answer_html / answer_to_text / hit_location ------------------------------------------------------


def test_answer_html_cites_each_sentence():
    out = answer_html(ANSWER)
    assert out == f'{escape(FIRST)} <a href="#passage-1" class="qa-cite">&#91;1&#93;</a>'


def test_answer_html_escapes_sentence_text():
    evil = Answer(
        **{
            **{f: getattr(ANSWER, f) for f in ANSWER.__dataclass_fields__},
            "sentences": (Sentence("<script>x</script>", 1, 0, 18, 1.0),),
        }
    )
    assert "<script>" not in answer_html(evil)


def test_hit_location():
    assert hit_location(HIT) == f"doc.txt, characters {BASE}\u2013{BASE + len(TEXT)}"


def test_answer_to_text_cites_and_lists_passages():
    out = answer_to_text(ANSWER)
    assert "Answer (confidence 0.75):" in out
    assert f"{FIRST} [1]" in out
    assert "[1] Guide \u203a Paying" in out and "[2] Guide" in out
    assert "'insurance' (you typed 'insurence')" in out


def test_answer_to_text_of_an_abstention_gives_the_reason():
    out = answer_to_text(ABSTAINED)
    assert out.splitlines()[:2] == ["No answer in these documents.", f"Reason: {ABSTAINED.reason}"]


# --- answer_to_dict: the JSON contract ----------------------------------------------------------------


@pytest.mark.parametrize("answer", [ANSWER, ABSTAINED], ids=["answered", "abstained"])
def test_answer_to_dict_has_exactly_the_contract_keys_plus_extras(answer):
    d = answer_to_dict(answer)
    assert set(d) == CONTRACT | EXTRAS
    for s in d["sentences"]:
        assert SENTENCE_CONTRACT | SENTENCE_EXTRAS <= set(s) <= SENTENCE_CONTRACT | SENTENCE_EXTRAS | {"spans", "lines"}
    for p in d["passages"]:
        assert set(p) == PASSAGE_CONTRACT | PASSAGE_EXTRAS
    assert json.loads(json.dumps(d)) == d


def test_answer_to_dict_values():
    d = answer_to_dict(ANSWER)
    assert (d["question"], d["answer"], d["abstained"], d["reason"], d["confidence"]) == (
        ANSWER.question,
        FIRST,
        False,
        None,
        0.75,
    )
    assert d["sentences"] == [
        {"text": FIRST, "passage": 1, "start": BASE, "end": BASE + len(FIRST), "kind": "sentence"}
    ]
    p = d["passages"][0]
    assert (p["rank"], p["id"], p["doc_id"], p["source"], p["title"], p["section"]) == (
        1,
        "doc.txt#1",
        "doc.txt",
        "doc.txt",
        "Guide",
        "Paying",
    )
    assert (p["text"], p["start"], p["end"], p["score"]) == (TEXT, BASE, BASE + len(TEXT), 2.5)
    assert d["corrections"] == [{"typed": "insurence", "corrected": "insurance"}]


def test_answer_to_dict_of_an_abstention():
    d = answer_to_dict(ABSTAINED)
    assert d["abstained"] is True and d["answer"] == "" and d["sentences"] == [] and d["reason"] == ABSTAINED.reason


def test_answer_to_dict_of_a_real_answer(corpus_index):
    from qa.answering.summarize import answer

    d = answer_to_dict(answer(corpus_index, "Where do I pay social security myself?"))
    assert set(d) >= CONTRACT
    ranks = {p["rank"] for p in d["passages"]}
    for s in d["sentences"]:
        assert s["passage"] in ranks
        p = next(p for p in d["passages"] if p["rank"] == s["passage"])
        assert p["text"][s["start"] - p["start"] : s["end"] - p["start"]] == s["text"]


# --- citations numbered in order of first use (the page only; the JSON keeps the ranks) ----------------


def _cited_out_of_order() -> Answer:
    third = Hit(
        rank=3,
        passage=Passage("doc.txt#3", "doc.txt", "doc.txt", "Guide", "", 400, 410, "Third text"),
        score=0.5,
        matched_terms=(),
        coverage=0.1,
    )
    return Answer(
        question="Who pays?",
        hits=(HIT, OTHER, third),
        abstained=False,
        reason=None,
        reason_code=None,
        confidence=0.5,
        query_terms=("pays",),
        sentences=(
            Sentence("Other text", 2, 300, 310, 0.9),
            Sentence(FIRST, 1, BASE, BASE + len(FIRST), 0.8),
            Sentence("Other text", 2, 300, 310, 0.7),
        ),
    )


def test_citations_are_numbered_in_order_of_first_use():
    from qa.serve.render import citation_numbers, hits_in_citation_order

    answer = _cited_out_of_order()
    assert citation_numbers(answer) == {2: 1, 1: 2, 3: 3}
    assert re.findall(r"&#91;(\d+)&#93;", answer_html(answer)) == ["1", "2", "1"]
    assert re.findall(r'href="#passage-(\d+)"', answer_html(answer)) == ["1", "2", "1"]
    assert [(n, h.rank) for n, h in hits_in_citation_order(answer)] == [(1, 2), (2, 1), (3, 3)]
    assert [s["passage"] for s in answer_to_dict(answer)["sentences"]] == [2, 1, 2]  # the JSON as it was


@pytest.mark.parametrize(
    "quoted, shown",
    [
        ("2. Individuals must pay.", "Individuals must pay."),
        ("2. 个人必须自己缴纳全部社保费用。", "个人必须自己缴纳全部社保费用。"),
        ("(b) Bring your ID.", "Bring your ID."),
        ("• Bring your ID.", "Bring your ID."),
        ("二、离职后", "离职后"),
        ("3.5 million people pay.", "3.5 million people pay."),
        ("A plain sentence.", "A plain sentence."),
    ],
)
def test_a_list_marker_does_not_open_an_answer_sentence_on_the_page(quoted, shown):
    from qa.serve.render import sentence_shown

    assert sentence_shown(quoted) == shown
    answer = Answer(
        question="q",
        sentences=(Sentence(quoted, 1, BASE, BASE + len(quoted), 0.9),),
        hits=(HIT,),
        abstained=False,
        reason=None,
        reason_code=None,
        confidence=0.5,
        query_terms=("q",),
    )
    assert answer_html(answer).startswith(escape(shown) + " <a")
    assert answer_to_dict(answer)["sentences"][0]["text"] == quoted


# --- answer units: code in monospace, items as bullets, rows with their pieces -----------------------------

CODE = Sentence("To stop it, run:\nsudo <stop> --now", 1, BASE, BASE + 33, 0.9, kind="code", lines=("text", "code"))
ITEM = Sentence("Bring your *card*", 1, BASE + 40, BASE + 57, 0.8, kind="item", lines=("item",))
ROW = Sentence(
    "Plan: Basic; Users: 5",
    1,
    BASE + 70,
    BASE + 81,
    0.7,
    kind="row",
    spans=((BASE + 60, BASE + 64), (BASE + 70, BASE + 75), (BASE + 65, BASE + 70), (BASE + 80, BASE + 81)),
    lines=("table",),
)
UNITS = Answer(**{**{f: getattr(ANSWER, f) for f in ANSWER.__dataclass_fields__}, "sentences": (CODE, ITEM, ROW)})


def test_answer_to_dict_gives_each_units_kind_pieces_and_lines():
    got = answer_to_dict(UNITS)["sentences"]
    assert [s["kind"] for s in got] == ["code", "item", "row"]
    assert got[0]["lines"] == ["text", "code"] and "spans" not in got[0]
    assert got[2]["spans"] == [list(span) for span in ROW.spans]
    assert json.loads(json.dumps(got)) == got


def test_answer_html_shows_code_in_monospace_and_items_as_bullets_all_escaped():
    out = answer_html(UNITS)
    assert '<br><code class="qa-code">sudo &#60;stop&#62; &#45;&#45;now</code>' in out
    assert "&#8226; Bring your &#42;card&#42;" in out
    assert "<stop>" not in out and "*card*" not in out


def test_answer_to_text_puts_code_and_items_on_lines_of_their_own():
    lines = answer_to_text(UNITS).splitlines()
    assert "  To stop it, run:" in lines and "      sudo <stop> --now [1]" in lines
    assert "  \u2022 Bring your *card* [1]" in lines
    assert "  Plan: Basic; Users: 5 [1]" in lines
