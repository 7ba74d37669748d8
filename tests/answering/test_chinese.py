"""Chinese documents and questions: segmentation, sentences, language, a mixed corpus, the page's labels."""

import pytest
from pages import _ask, _page

import qa
from qa.serve.labels import LABELS, labels, reason_text
from qa.serve.render import answer_to_dict, hit_location
from qa.answering.summarize import question_types
from qa.text import Analyzer, detect_language, has_han, segment, split_sentences

pytestmark = pytest.mark.usefixtures("isolated_page")  # the page tests below need it; harmless for the rest


def _words(text, **kw):
    return [w for w, _, _ in Analyzer(**kw).words(text)]


def test_jieba_cuts_words_and_search_mode_adds_the_words_inside():
    assert _words("城镇居民医疗保险", chinese="words") == ["城镇居民", "医疗保险"]
    assert _words("城镇居民医疗保险", chinese="search") == ["城镇", "居民", "城镇居民", "医疗", "保险", "医疗保险"]


def test_the_default_adds_the_characters_of_content_words_only():
    words = _words("带上身份证")
    assert {"带上", "身份证", "身份", "带", "上", "身", "份", "证"} == set(words)
    # A function word gives no characters: 怎么 is a stop word, so 怎 and 么 are not terms.
    assert "怎" not in _words("怎么办理") and "办" in _words("怎么办理")


def test_every_word_span_slices_its_word_out_of_the_text():
    text = "Pay 社保 at the 社保中心，带上ID卡。"
    for mode in ("search_chars", "search", "words", "bigrams"):
        for w, s, e in Analyzer(chinese=mode).words(text):
            assert text[s:e].lower() == w


def test_bigrams():
    assert [w for w, _, _ in segment("社保", "bigrams")] == ["社保"]
    assert [w for w, _, _ in segment("医保卡", "bigrams")] == ["医保", "保卡"]
    assert [w for w, _, _ in segment("卡", "bigrams")] == ["卡"]


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="chinese must be one of"):
        qa.IndexParams(chinese="trigrams")


def test_mixed_text_keeps_english_words_and_cuts_chinese_ones():
    terms = Analyzer()("Bring your passport卡 to the 社保中心")
    assert "passport" in terms and "bring" in terms and "社保" in terms and "中心" in terms and "卡" in terms
    assert "to" not in terms and "the" not in terms  # English stop words still go


def test_english_analysis_is_unchanged_by_the_chinese_support():
    text = "Individuals don't pay ALL fees: the unit's office pays 2 of them."
    assert Analyzer()(text) == ["individu", "pay", "fee", "unit", "offic", "pay", "2"]


def test_chinese_stop_words_are_dropped():
    assert Analyzer()("的了吗") == []


def test_chinese_sentences_end_at_full_width_marks_and_line_breaks_not_at_semicolons():
    text = "离职后怎么办？先办理社保。然后缴费！最后；再说\n新的一行"
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "离职后怎么办？",
        "先办理社保。",
        "然后缴费！",
        "最后；再说",
        "新的一行",
    ]


def test_closing_quotes_stay_with_their_sentence():
    text = "他说：“去社保中心。”然后走了。"
    assert [text[s:e] for s, e in split_sentences(text)] == ["他说：“去社保中心。”", "然后走了。"]


@pytest.mark.parametrize(
    "text, language",
    [
        ("离职后医保还能用吗？", "zh"),
        ("医保 card 怎么用", "zh"),
        ("What is 社保?", "en"),
        ("Can I pay?", "en"),
        ("", "en"),
    ],
)
def test_language_is_told_by_script(text, language):
    assert detect_language(text) == language


def test_has_han():
    assert has_han("a社") and not has_han("café") and not has_han("ひらがな")


@pytest.mark.parametrize(
    "question, kind",
    [
        ("离职后没有及时办理社保会怎样？", "what if"),
        ("医保转移由谁办理？", "who"),
        ("需要带什么材料？", "needs"),
        ("去哪里交社保？", "where"),
        ("住院报销多久有效？", "how long"),
        ("什么时候开始缴费？", "when"),
        ("每月交多少钱？", "how much"),
        ("如何办理医保？", "how to"),
        ("为什么会断缴？", "why"),
    ],
)
def test_chinese_question_type_cues(question, kind):
    assert question_types(question)[0] == kind


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    (root / "en.txt").write_text(
        "Parking\n\nResidents apply for a parking permit at the town hall. The permit costs 20 euros a year.\n",
        encoding="utf-8",
    )
    (root / "zh.txt").write_text(
        "停车\n\n居民需要到市政厅申请停车许可证。许可证每年收费二十欧元。\n\n"
        "垃圾\n\n垃圾每周二收集。请把可回收物放在蓝色垃圾桶里。\n",
        encoding="utf-8",
    )
    (root / "mixed.md").write_text(
        "# 门禁卡 access card\n\n丢失门禁卡后，请带上身份证到物业办公室补办，补办费用为五十元。"
        "Lost access cards are replaced at the property office.\n",
        encoding="utf-8",
    )
    index, warnings = qa.build_index(root)
    assert warnings == ()
    return index


def test_a_mixed_corpus_is_one_index_answering_both_languages(mixed_index):
    en = qa.answer(mixed_index, "Where do residents apply for a parking permit?")
    assert not en.abstained and en.hits[0].passage.source == "en.txt" and "town hall" in en.text
    zh = qa.answer(mixed_index, "在哪里申请停车许可证？")
    assert not zh.abstained and zh.hits[0].passage.source == "zh.txt" and "市政厅" in zh.text
    assert zh.language == "zh" and en.language == "en"


def test_a_chinese_question_finds_chinese_text_in_a_mixed_document(mixed_index):
    got = qa.answer(mixed_index, "门禁卡丢了怎么补办？")
    assert not got.abstained and got.hits[0].passage.source == "mixed.md"
    assert "物业办公室" in got.text
    for s in got.sentences:  # verbatim, and the offsets slice it out of the passage's source
        p = got.hits[s.rank - 1].passage
        assert p.text[s.start - p.start : s.end - p.start] == s.text


def test_an_off_topic_chinese_question_abstains(mixed_index):
    got = qa.answer(mixed_index, "今天天气怎么样？")
    assert got.abstained and got.language == "zh"
    assert "问题中的词" in reason_text(got)


def test_chinese_answers_say_their_language_in_json(mixed_index):
    assert answer_to_dict(qa.answer(mixed_index, "垃圾哪天收集？"))["language"] == "zh"


def test_labels_have_the_same_keys_in_both_languages():
    assert set(LABELS["zh"]) == set(LABELS["en"])
    assert labels("fr") is LABELS["en"]


def test_hit_location_in_chinese(mixed_index):
    hit = qa.answer(mixed_index, "垃圾哪天收集？").hits[0]
    assert hit_location(hit, "zh").startswith("zh.txt，字符 ")


def test_the_page_labels_follow_the_question_language(saved_corpus_index, monkeypatch):
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    at = _ask(_page(), "找到新工作后医保转移由谁办理？")
    assert not at.exception and not at.error
    heads = [h.value for h in at.subheader]
    assert "答案" in heads and "相关段落" in heads and "Answer" not in heads
    assert any(c.value in ("置信度：高", "置信度：中", "置信度：低") for c in at.caption)
    at = _ask(at, "Who handles the medical insurance transfer when I find a new job?")
    heads = [h.value for h in at.subheader]
    assert "Answer" in heads and "答案" not in heads


def test_a_chinese_abstention_is_explained_in_chinese(saved_corpus_index, monkeypatch):
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    at = _ask(_page(), "今天天气怎么样？")
    assert not at.exception
    assert any("这些文档中没有答案" in w.value for w in at.warning)


def test_the_terminal_answer_is_labelled_in_chinese(mixed_index):
    from qa.serve.render import answer_to_text

    text = answer_to_text(qa.answer(mixed_index, "垃圾哪天收集？"))
    assert text.startswith("答案（置信度") and "相关段落：" in text and "得分" in text
    assert answer_to_text(qa.answer(mixed_index, "When is the rubbish collected?")).startswith(("Answer", "No answer"))


def test_each_document_has_a_language(mixed_index):
    from qa.serve.library import Library

    languages = {r.source: r.language for r in Library.documents(mixed_index)}
    assert languages == {"en.txt": "en", "zh.txt": "zh", "mixed.md": "zh"}


def test_chinese_questions_answered_from_many_threads_agree_with_one(mixed_index):
    """The page and the API answer from many threads; jieba's segmenter is shared by them."""
    from concurrent.futures import ThreadPoolExecutor

    from qa.text import segment

    questions = ["在哪里申请停车许可证？", "门禁卡丢了怎么补办？", "垃圾哪天收集？", "Where is the parking permit?"] * 8
    segment.cache_clear()  # make every thread cut text, not read the cache
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: answer_to_dict(qa.answer(mixed_index, q)), questions))
    assert together == [answer_to_dict(qa.answer(mixed_index, q)) for q in questions]
