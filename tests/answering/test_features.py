"""The named features of an answer unit (qa.answering.features), one behaviour per test, on tiny corpora."""

import json

import numpy as np
import pytest

from qa import build_index
from qa.answering.features import FEATURES, answer_type, holds_type, unit_features
from qa.answering.scoring import explain, load_model
from qa.answering.search import parse_question, search
from qa.answering.summarize import answer, answer_units, view_question


def make_index(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    index, _ = build_index([tmp_path])
    return index


def features_of(index, question):
    """{unit text: {feature: value}} for the candidate units of a question."""
    query = parse_question(index, question)
    hits = search(index, query, k=5)
    units = answer_units(hits)
    values = unit_features(index, view_question(index, query), units, hits)
    return {u.text: dict(zip(FEATURES, row)) for u, row in zip(units, values)}


LEAVE = {
    "leave.txt": "Parental leave\n\n"
    "Requests for parental leave are sent to the Lantern Office on the second floor. "
    "Employees who have worked a full year receive seventeen days of parental leave. "
    "Parental leave is a benefit.\n",
}


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many days of parental leave do employees receive?", "quantity"),
        ("How much does the permit cost?", "quantity"),
        ("When was the library card first issued?", "when"),
        ("Who maintains ftfy?", "who"),
        ("Which office handles transfers?", "who"),
        ("Where is the configuration file stored?", "where"),
        ("Which option turns off the colours?", "code"),
        ("What does MPL stand for?", "definition"),
        ("What is a resident set?", "definition"),
        ("失业金最多能领多久？", "quantity"),
        ("医保转移由谁办理？", "who"),
        ("Can I renew my card online?", ""),
    ],
)
def test_answer_type_is_read_from_the_question(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    "word", ["thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "forty", "twelve", "17"]
)
def test_every_number_word_is_a_quantity(word):
    assert holds_type("quantity", f"Employees receive {word} days of leave.")


def test_a_type_the_question_already_says_is_not_held():
    question = "How many of the 17 members voted?"
    assert not holds_type("quantity", "The 17 members met in the hall.", question)
    assert holds_type("quantity", "Twelve of the members voted.", question)


def test_type_held_and_missing_for_a_how_many_question(tmp_path):
    rows = features_of(make_index(tmp_path, LEAVE), "How many days of parental leave do employees receive?")
    seventeen = next(v for t, v in rows.items() if "seventeen" in t)
    office = next(v for t, v in rows.items() if "Lantern" in t)
    assert seventeen["type_held"] == 1 and seventeen["type_missing"] == 0
    assert office["type_held"] == 0 and office["type_missing"] == 1


def test_the_two_page_question_is_answered_by_the_quantity(tmp_path):
    result = answer(make_index(tmp_path, LEAVE), "How many days of parental leave do employees receive?")
    assert not result.abstained
    assert "seventeen days" in result.sentences[0].text


def test_coverage_is_the_share_of_the_questions_weight_held(tmp_path):
    rows = features_of(make_index(tmp_path, LEAVE), "How many days of parental leave do employees receive?")
    seventeen = next(v for t, v in rows.items() if "seventeen" in t)
    benefit = next(v for t, v in rows.items() if "benefit" in t)
    assert 0 < benefit["coverage"] < seventeen["coverage"] <= 1


def test_a_unit_restating_the_question_adds_nothing(tmp_path):
    index = make_index(
        tmp_path,
        {
            "a.txt": "Renewing a card\n\nHow do I renew my library card? "
            "Bring your old card to the front desk and pay two euros.\n"
        },
    )
    rows = features_of(index, "How do I renew my library card?")
    asked = next(v for t, v in rows.items() if t.startswith("How do I"))
    told = next(v for t, v in rows.items() if t.startswith("Bring"))
    assert asked["is_question"] == 1 and asked["restates"] == 1 and asked["novelty"] < told["novelty"]
    assert told["restates"] == 0


def test_a_heading_that_is_the_question_counts_for_the_unit_below(tmp_path):
    index = make_index(
        tmp_path,
        {"faq.md": "# ftfy\n\n## Who maintains ftfy?\n\nI'm Robyn Speer, a developer who writes text tools.\n"},
    )
    rows = features_of(index, "Who maintains ftfy?")
    robyn = next(v for t, v in rows.items() if "Robyn" in t)
    assert robyn["heading_question"] == 1
    assert robyn["context"] > 0  # the heading holds the question's words the sentence lacks


def test_proximity_is_higher_when_the_matched_words_stand_together(tmp_path):
    index = make_index(
        tmp_path,
        {
            "a.txt": "Notes\n\nThe garden gate is green. "
            "The garden has roses, tulips, daisies, a pond and an old gate.\n"
        },
    )
    rows = features_of(index, "garden gate")
    near = next(v for t, v in rows.items() if "green" in t)
    far = next(v for t, v in rows.items() if "roses" in t)
    assert near["proximity"] == 1.0 and 0 < far["proximity"] < 1


def test_rank_position_and_language(tmp_path):
    index = make_index(
        tmp_path, {"zh.txt": "失业保险\n\n失业人员领取失业保险金的期限最长为二十四个月。个人不缴纳基本医疗保险费。\n"}
    )
    rows = features_of(index, "失业金最多能领多久？")
    first = next(v for t, v in rows.items() if "二十四个月" in t)
    assert first["chinese"] == 1 and first["coverage_chinese"] == first["coverage"]
    assert first["rank"] == 1 and first["first"] == 1 and first["position"] == 0
    assert first["type_held"] == 1  # 二十四个月 is a quantity


def test_explain_gives_each_features_value_weight_and_contribution():
    model = load_model()
    values = np.zeros(len(FEATURES))
    values[FEATURES.index("coverage")] = 0.5
    got = explain(model, values)
    cov = got["features"]["coverage"]
    assert cov["value"] == 0.5 and cov["contribution"] == pytest.approx(0.5 * cov["weight"], abs=1e-3)
    assert got["score"] == pytest.approx(sum(f["contribution"] for f in got["features"].values()), abs=1e-3)
    assert list(got["features"])[0] == "coverage"  # the largest contribution first


def test_confidence_is_a_probability_and_abstention_names_what_is_missing(tmp_path):
    index = make_index(tmp_path, LEAVE)
    result = answer(index, "When did the Lantern Office open its second floor to the public?")
    assert 0.0 <= result.confidence <= 1.0
    if result.abstained:
        assert result.reason_code == "weak_evidence" and "No passage says when" in result.reason


def test_answer_explains_every_shown_unit(tmp_path):
    result = answer(make_index(tmp_path, LEAVE), "How many days of parental leave do employees receive?", explain=True)
    assert len(result.explanation) == len(result.sentences)
    for unit, sentence in zip(result.explanation, result.sentences):
        assert unit["text"] == sentence.text and set(unit["features"]) == set(FEATURES)


def test_the_shipped_weights_name_known_features_and_their_pool():
    model = load_model()
    assert model.weights.shape == (len(FEATURES),)
    assert 0 < model.threshold < 1
    assert model.meta["fitted_on"] and model.meta["date"]


def test_a_version_question_is_answered_only_by_a_unit_giving_one(tmp_path):
    index = make_index(
        tmp_path,
        {
            "idna.md": "# idna\n\nThe lookup tables are generated from the Unicode data files. "
            "They are rebuilt by a script.\n"
        },
    )
    result = answer(index, "Which Unicode version are the lookup tables generated from?")
    assert result.abstained and result.reason_code == "weak_evidence"
    index = make_index(
        tmp_path,
        {
            "idna.md": "# idna\n\nThe lookup tables are generated from Unicode 15.1.0 data. "
            "They are rebuilt by a script.\n"
        },
    )
    assert "15.1.0" in answer(index, "Which Unicode version are the lookup tables generated from?").text


def test_qa_ask_explain_shows_features_in_the_terminal_and_the_json(tmp_path, capsys):
    from qa.cli import main

    (tmp_path / "docs").mkdir()
    make_index(tmp_path / "docs", LEAVE)
    assert main(["index", str(tmp_path / "docs"), "--out", str(tmp_path / "idx")]) == 0
    capsys.readouterr()
    question = "How many days of parental leave do employees receive?"
    assert main(["ask", question, "--index", str(tmp_path / "idx"), "--explain"]) == 0
    text = capsys.readouterr().out
    assert "contribution" in text and "coverage" in text and "seventeen days" in text
    assert main(["ask", question, "--index", str(tmp_path / "idx"), "--explain", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["explanation"][0]["text"] == got["sentences"][0]["text"]
    assert main(["ask", question, "--index", str(tmp_path / "idx"), "--json"]) == 0
    assert "explanation" not in json.loads(capsys.readouterr().out)  # only when asked for


def test_qa_eval_explain_answers_one_question_of_a_set(tmp_path, capsys):
    from qa.cli import main

    (tmp_path / "set" / "docs").mkdir(parents=True)
    make_index(tmp_path / "set" / "docs", LEAVE)
    (tmp_path / "set" / "questions.jsonl").write_text(
        json.dumps(
            {
                "id": "q1",
                "question": "How many days of parental leave do employees receive?",
                "answerable": True,
                "source": "leave.txt",
                "answer_has": ["seventeen days"],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    assert main(["eval", str(tmp_path / "set"), "--explain", "q1", "--json", str(tmp_path / "q1.json")]) == 0
    out = capsys.readouterr().out
    assert "expected: seventeen days" in out and "contribution" in out
    got = json.loads((tmp_path / "q1.json").read_text(encoding="utf-8"))
    assert got["id"] == "q1" and got["explanation"]
    assert main(["eval", str(tmp_path / "set"), "--explain", "nope"]) != 0
    assert "no question 'nope'" in capsys.readouterr().err


def test_kind_pronoun_short_and_echo(tmp_path):
    index = make_index(
        tmp_path,
        {
            "museum.md": "# The city museum\n\nThe city museum opened in 1921. "
            "It holds ten thousand paintings. Open daily.\n\n"
            "Tickets:\n\n- Adults pay the city museum five euros.\n"
            "- Children enter free.\n"
        },
    )
    rows = features_of(index, "When did the city museum open?")
    opened = next(v for t, v in rows.items() if "1921" in t)
    holds = next(v for t, v in rows.items() if t.startswith("It holds"))
    daily = next(v for t, v in rows.items() if t.startswith("Open daily"))
    adults = next((v for t, v in rows.items() if t.startswith("Adults")), None)
    assert holds["pronoun"] == 1 and opened["pronoun"] == 0
    assert daily["short"] == 1 and opened["short"] == 0
    assert opened["echo"] > holds["echo"] and opened["pairs"] > 0
    assert opened["type_held"] == 1  # 1921 is a date
    assert opened["same_document"] == 1 and opened["passage_score"] == 1.0
    if adults is not None:  # a list item, when the passage holds the list
        assert adults["kind_item"] == 1 and opened["kind_item"] == 0


def test_focus_names_the_which_noun_and_the_definition(tmp_path):
    index = make_index(
        tmp_path,
        {
            "env.md": "# Settings\n\nThe LIBFFI_TMPDIR environment variable tells libffi "
            "where to write. Temporary files are removed at exit.\n"
        },
    )
    rows = features_of(index, "Which environment variable tells libffi where to write temporary files?")
    named = next(v for t, v in rows.items() if "LIBFFI_TMPDIR" in t)
    other = next(v for t, v in rows.items() if t.startswith("Temporary"))
    assert named["focus"] == 1 and other["focus"] == 0


def scored_units(index, question):
    """The candidate units of a question with every feature, `rules` and `unit_evidence` included."""
    from qa.answering.summarize import prepare, score_units

    query, hits, on_topic, refused = prepare(index, question)
    assert refused is None
    return score_units(index, query, on_topic, hits)


def test_rules_is_the_documented_rules_score_and_unit_evidence_their_evidence(tmp_path):
    index = make_index(tmp_path, LEAVE)
    scored = scored_units(index, "How many days of parental leave do employees receive?")
    col = {f: i for i, f in enumerate(FEATURES)}
    by_text = {u.text: scored.values[i] for i, u in enumerate(scored.units)}
    right = by_text["Employees who have worked a full year receive seventeen days of parental leave."]
    # The rules' score: the evidence share plus the type bonus (a number of days), echo and rank.
    assert right[col["rules"]] > right[col["coverage"]] > 0
    # The evidence the abstention rule reads: the share held plus 0.15 for showing the type asked for.
    assert right[col["unit_evidence"]] == pytest.approx(min(1.0, right[col["coverage"]] + 0.15))
    # "How many" is answered only by a unit holding a number: the Lantern Office sentence is no candidate.
    assert not any("Lantern" in t for t in by_text)


def test_choose_takes_the_first_unit_by_the_fitted_score_and_the_rest_by_the_rules(tmp_path):
    from qa.answering.scoring import choose

    index = make_index(tmp_path, LEAVE)
    scored = scored_units(index, "What is parental leave and where are requests sent?")
    col = FEATURES.index("rules")
    rules = scored.values[:, col]
    by_rules = choose(scored.units, scored.values, rules)
    assert by_rules[0] == int(np.argmax(rules))
    # A fitted score that prefers another unit holding a word of the question makes it first ...
    holds = scored.values[:, FEATURES.index("holds_word")]
    eligible = [i for i in range(len(scored.units)) if holds[i] > 0 and i != by_rules[0]]
    assert eligible
    fitted = np.zeros(len(scored.units))
    fitted[eligible[-1]] = 1.0
    shown = choose(scored.units, scored.values, fitted)
    assert shown[0] == eligible[-1]
    # ... and what follows it does not depend on how the fitted score orders the others: the rules choose.
    shuffled = np.random.default_rng(0).random(len(scored.units)) * 0.5
    shuffled[eligible[-1]] = 1.0
    assert choose(scored.units, scored.values, shuffled) == shown


def test_unit_kinds_lead_in_length_cue_and_passage_coverage(tmp_path):
    index = make_index(
        tmp_path,
        {
            "server.md": "# Server guide\n\nThe server answers on port 8080 by default.\n\n"
            "To stop the server, run:\n\n    qa stop --now\n\n"
            "- timeout: the seconds a request to the server may take before it fails.\n",
            "rooms.md": "# Meeting rooms\n\nEach room is booked in the portal.\n\n"
            "| Room | Floor | Seats |\n|---|---|---|\n| Blue | 2 | 12 |\n| Red | 3 | 40 |\n",
        },
    )
    rows = features_of(index, "How do I stop the server?")
    lead_in = rows["To stop the server, run:"]
    code = rows["To stop the server, run:\nqa stop --now"]
    definition = rows["timeout: the seconds a request to the server may take before it fails."]
    assert lead_in["lead_in"] == 1 and code["lead_in"] == 0  # the code unit holds its lead-in and its command
    assert code["kind_code"] == 1 and lead_in["kind_code"] == 0
    assert definition["kind_definition"] == 1 and definition["kind_item"] == 0
    assert definition["log_words"] > code["log_words"] > lead_in["log_words"]  # log(1 + words) / 4
    # The passage's share of the question's weight, the same for every unit of one passage.
    assert lead_in["passage_coverage"] == code["passage_coverage"] == 1.0
    seats = features_of(index, "How many seats does the Red room have?")
    red = seats["Room: Red; Floor: 3; Seats: 40"]
    assert red["kind_row"] == 1 and red["cue"] == 1  # a row read with its header; "40" is the number asked for
    assert seats["Each room is booked in the portal."]["kind_row"] == 0


def test_a_question_whose_words_stand_only_in_a_heading_abstains_saying_so(tmp_path):
    index = make_index(
        tmp_path,
        {
            "permit.md": "# Lantern parking permit\n\nApply online at the portal before Friday. The office closes at noon.\n"
        },
    )
    result = answer(index, "lantern parking permit?")
    assert result.abstained and result.reason_code == "weak_evidence"
    assert "No sentence of the best passage's document holds a word of the question" in result.reason
    assert "below the" not in result.reason  # not a figure that the figures contradict
    assert 0 <= result.evidence <= 1


def test_the_chinese_reason_names_the_evidence_not_the_confidence(tmp_path):
    from dataclasses import replace

    from qa.answering.scoring import load_model
    from qa.serve.labels import reason_text

    index = make_index(
        tmp_path, {"zh.txt": "医疗保险\n\n职工应当参加职工基本医疗保险，由用人单位和职工共同缴纳基本医疗保险费。\n"}
    )
    result = answer(index, "医疗保险报销比例是多少？")
    weak = replace(result, abstained=True, reason_code="weak_evidence", evidence=0.2, confidence=0.14)
    text = reason_text(weak)
    assert "20%" in text and "14%" not in text and f"{load_model().min_evidence:.0%}" in text


def test_explain_on_a_refused_question_says_no_unit_was_scored(tmp_path, capsys):
    from qa.cli import main

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Parking\n\nPermits are issued at the front desk.\n", encoding="utf-8")
    assert main(["index", str(tmp_path / "docs"), "--out", str(tmp_path / "idx")]) == 0
    capsys.readouterr()
    assert main(["ask", "--index", str(tmp_path / "idx"), "--explain", "qwertyzz?"]) == 0
    assert "No answer unit was scored: No word of the question appears" in capsys.readouterr().out
    assert main(["ask", "--index", str(tmp_path / "idx"), "--json", "--explain", "qwertyzz?"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["reason_code"] == "no_match" and got["explanation"] == []
