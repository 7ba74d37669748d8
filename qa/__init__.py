"""qa: question answering over a folder of documents, with every answer sentence cited.

>>> import qa
>>> index, warnings = qa.build_index("corpus")                        # doctest: +SKIP
>>> result = qa.answer(index, "Where do I pay social security myself?")  # doctest: +SKIP
>>> print(result.text, [s.rank for s in result.sentences])           # doctest: +SKIP

Stages (each a subpackage): `ingest` (loader, reading, chunking) -> `index` (index, store, shards) ->
`answering` (search, summarize) -> `serve` (api, library, render); `evaluate` measures them all.
"""

from .index.build import build_index, describe
from .index.default import open_index
from .ingest.chunking import Chunker, chunk_documents
from .errors import EmptyCorpusError, IndexFormatError, QAError, QuestionError, SourceError
from .index.index import Index, IndexParams
from .ingest.loader import load_documents
from .answering.search import parse_question, search, search_documents
from .index.folders import load_index, save_index
from .answering.suggest import suggest_questions
from .answering.summarize import answer
from .types import Answer, Document, Hit, Passage, Query, Sentence

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Chunker",
    "Document",
    "EmptyCorpusError",
    "Hit",
    "Index",
    "IndexFormatError",
    "IndexParams",
    "Passage",
    "QAError",
    "Query",
    "QuestionError",
    "Sentence",
    "SourceError",
    "answer",
    "build_index",
    "chunk_documents",
    "describe",
    "load_documents",
    "load_index",
    "open_index",
    "parse_question",
    "save_index",
    "search",
    "search_documents",
    "suggest_questions",
    "__version__",
]
