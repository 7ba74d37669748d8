"""Stage 5, evaluate (`qa eval`): retrieval, answer and abstention figures on BEIR-layout datasets.

May import every stage; nothing imports it but the command line (``qa eval``, and
`qa.evaluate.datasets.read_queries` for ``--queries``) and ``bench/``. Each name has
one home, imported from there (nothing is re-exported here). The parts: `datasets` (reading datasets), `metrics`, `peers` (the other
engines, shared with ``bench/``), `runs` (systems, answers, the whole
evaluation), `report` (tables, JSON, chart), `questionset` and `checks`
(question-set folders), `tables`.

A dataset is a folder holding ``corpus.jsonl`` (``{"_id", "title", "text"}`` a
line), ``queries.jsonl`` (``{"_id", "text"}`` a line, optionally with SQuAD's
``answerable`` and ``answers``) and ``qrels/test.tsv`` (``query-id corpus-id
score``, with a header; score > 0 is relevant).

For each dataset and system the corpus is indexed (timed), every judged query
is run alone (timed) for its top `TOP_K` documents, and the rankings are scored
with `qa.evaluate.metrics` (`METRICS`; queries without a relevant document are skipped,
as BEIR does). Systems:

===================  =====================================================================
``qa``               `qa.build_index` + `qa.search_documents`
``qa+prf``           the same index, ``search_documents(..., expand=True)`` (feedback terms)
``bm25s``            bm25s, Snowball English stemmer (PyStemmer), its English stop words
``tantivy``          tantivy, ``title`` and ``body`` fields with its ``en_stem`` tokenizer
``sklearn-default``  ``TfidfVectorizer()`` defaults, cosine similarity
===================  =====================================================================

The peers (bm25s, tantivy; matplotlib for the chart) are optional, installed
with ``pip install .[bench]``: a missing one is skipped with a note. They are
never imported by the rest of ``qa``.

Datasets whose queries say whether they are answerable (SQuAD 2.0) also get
answer figures for ``qa`` (`answer_quality`), and every dataset's queries are
asked of the other datasets' ``qa`` indexes and of the default corpus to
measure out-of-domain abstention (`abstention`).

A question-set folder (``docs/`` and ``questions.jsonl``, `qa.evaluate.questionset`)
may be given among the datasets: `load_dataset` tells the two layouts apart,
and `evaluate` hands question sets to `qa.evaluate.questionset.evaluate_question_set`
(qa's answers to every question, scored as the reference checker does, beside
`qa.evaluate.questionset.TARGETS`).
"""
