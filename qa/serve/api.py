"""The JSON API served beside the page: ``GET /api/ask`` and ``GET /api/health``.

The handlers are plain Starlette endpoints (sync functions, so Starlette runs
them in its thread pool and a slow question never blocks the page's
websocket). `make_routes` binds them to a function that returns the index to
answer from; `IndexSource` is that function for a running server: it loads the
index once and loads it again only when `qa.index.default.index_version` of its folder
changes, so the API follows a re-indexed corpus as the page does.

>>> from starlette.applications import Starlette
>>> from starlette.testclient import TestClient
>>> client = TestClient(Starlette(routes=make_routes(IndexSource(lambda: "DIR"))))  # doctest: +SKIP
>>> client.get("/api/ask", params={"q": "Where do I pay social security?"}).json()["answer"]  # doctest: +SKIP

Responses
---------
``GET /api/ask?q=QUESTION&k=5``
    200 and the ``qa ask --json`` object (`qa.serve.render.answer_to_dict`).
    400 and ``{"error": "..."}`` for a bad question (empty, too long, no
    searchable word) or a ``k`` that is not a whole number from 1 to `MAX_K`.
``GET /api/health``
    200 and ``{"status": "ok", "documents": n, "passages": n, "index_version": v}``.
Any other path under ``/api`` answers 404 and ``{"error": "..."}`` (another method on those two
paths: 405), never the page.
Either answers 503 and ``{"error": "..."}`` (health: ``"status": "error"`` too)
when the index cannot be loaded.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from typing import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..index.build import describe
from ..index.default import index_version, open_index
from ..errors import QAError, QuestionError
from ..index.index import Index
from .library import Library
from .render import answer_to_dict
from ..answering.summarize import answer

__all__ = [
    "DEFAULT_K",
    "MAX_K",
    "IndexSource",
    "page_index_dir",
    "ask_endpoint",
    "health_endpoint",
    "make_routes",
    "unknown_endpoint",
]

DEFAULT_K = 5
MAX_K = 50

log = logging.getLogger("qa.api")


def page_index_dir() -> str:
    """The index folder the page answers from, found as the page finds it: the page keeps its own
    index in its data folder (``$QA_DATA``, else `qa.serve.library.data_dir`), ``Library(data).index_dir``,
    made from ``$QA_INDEX`` or the default corpus if it does not exist yet (`Library.ensure_index`,
    as the page does on its first run), with a served folder's edits followed (checked every few
    seconds, `Library.follow_edits`).

    Raises `qa.QAError` if the page's index cannot be made.
    """
    lib = Library(os.environ.get("QA_DATA") or None)
    lib.ensure_index(log=log.warning)
    lib.follow_edits(log=log.warning)
    return str(lib.index_dir)


class IndexSource:
    """A callable returning the current index: loaded once, reloaded when its version changes.

    Parameters
    ----------
    locate : callable returning a path or None, default `page_index_dir`
        Asked on every call where the index lives (None: the default corpus).
    mmap : bool, default=True

    Calling it raises `qa.QAError` when the index cannot be loaded.
    Thread-safe: concurrent calls share one load.
    """

    def __init__(self, locate: Callable[[], str | os.PathLike | None] = page_index_dir, *, mmap: bool = True):
        self.locate = locate
        self.mmap = mmap
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._index: Index | None = None

    def current(self) -> tuple[Index, str | None]:
        """The index and its version token (the version it was read from: a save between
        looking at the version and reading the index is not mistaken for it)."""
        where = self.locate()
        where = None if where is None else str(where)
        version = index_version(where)
        with self._lock:
            if self._index is None or self._key != (where, version):
                index = open_index(where, mmap=self.mmap, log=log.warning)
                if where is not None:
                    version = describe(index)["version_dir"] or version
                self._index, self._key = index, (where, version)
            return self._index, self._key[1]

    def __call__(self) -> Index:
        return self.current()[0]


def _error(message: str, code: int, **extra) -> JSONResponse:
    return JSONResponse({**extra, "error": message}, status_code=code)


def _current(get_index) -> tuple[Index, str | None]:
    if isinstance(get_index, IndexSource):
        return get_index.current()
    index = get_index()
    return index, describe(index)["version_dir"]


def _parse_k(text: str | None) -> int:
    """``k`` from the query string; ValueError with the message to return if it is bad."""
    if text is None or text == "":
        return DEFAULT_K
    try:
        k = int(text)
    except ValueError:
        raise ValueError(f"k must be a whole number from 1 to {MAX_K}, not {text[:20]!r}") from None
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be from 1 to {MAX_K}, not {k}")
    return k


def ask_endpoint(request: Request, *, get_index: Callable[[], Index]) -> JSONResponse:
    """``GET /api/ask?q=...&k=5``: the ``qa ask --json`` object, or 400 ``{"error"}``."""
    try:
        k = _parse_k(request.query_params.get("k"))
    except ValueError as exc:
        return _error(str(exc), 400)
    question = request.query_params.get("q", "")
    try:
        index, _ = _current(get_index)
    except QAError as exc:
        return _error(f"cannot load the index: {exc}", 503)
    try:
        result = answer(index, question, k=k)
    except QuestionError as exc:
        return _error(str(exc), 400)
    except Exception:
        log.exception("answering %r failed", question[:200])
        return _error("answering failed (details in the server log)", 500)
    return JSONResponse(answer_to_dict(result))


def health_endpoint(request: Request, *, get_index: Callable[[], Index]) -> JSONResponse:
    """``GET /api/health``: document and passage counts and the index version, or 503."""
    try:
        index, version = _current(get_index)
    except QAError as exc:
        return _error(f"cannot load the index: {exc}", 503, status="error")
    facts = describe(index)
    return JSONResponse(
        {
            "status": "ok",
            "documents": facts["documents"],
            "passages": facts["passages"],
            "index_version": version,
        }
    )


def make_routes(get_index: Callable[[], Index]) -> list[Route]:
    """The API's Starlette routes, answering from ``get_index()`` (an `IndexSource`, or any
    function returning an `Index`)."""
    ask = functools.partial(ask_endpoint, get_index=get_index)
    health = functools.partial(health_endpoint, get_index=get_index)
    return [
        Route("/api/ask", ask, methods=["GET"], name="qa-ask"),
        Route("/api/health", health, methods=["GET"], name="qa-health"),
        # Every other path under /api and every other method: JSON, never the page's HTML with 200.
        Route("/api", unknown_endpoint, methods=_ANY, name="qa-unknown-root"),
        Route("/api/{rest:path}", unknown_endpoint, methods=_ANY, name="qa-unknown"),
    ]


def unknown_endpoint(request: Request) -> JSONResponse:
    """Any other ``/api`` path or method: 404 (or 405 for a known path) and ``{"error": "..."}``,
    never the page's HTML with 200."""
    path = request.url.path
    if path in _ROUTES and request.method not in ("GET", "HEAD"):
        return JSONResponse(
            {"error": f"{path} answers GET only, not {request.method}"}, status_code=405, headers={"Allow": "GET, HEAD"}
        )
    return _error("no such API path; the API answers GET " + " and ".join(_ROUTES), 404)  # the path not echoed


_ROUTES = ("/api/ask", "/api/health")
_ANY = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
