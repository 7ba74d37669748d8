"""Stage 3, answering (not `qa.answer`, which is the public function): question -> ranked `Hit`s -> cited `Answer`.

`search` parses a question and ranks passages (through the index's own
`ranked`/`matched`, so a single and a sharded index answer alike),
`summarize` writes the extractive cited summary, `suggest` proposes questions.
Imports `qa.index` and `qa.ingest`, never `qa.serve` or `qa.evaluate`.
"""
