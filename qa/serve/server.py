"""The page and its JSON API in one server: Streamlit's ASGI app (``st.App``) with qa's routes.

``qa ui`` runs ``streamlit run`` on this file (in the installed package); Streamlit finds
``app`` below and serves it with uvicorn: the page (`qa.serve.page`) at ``/`` and
`qa.serve.api`'s routes at ``/api/ask`` and ``/api/health``. Both read the same environment (``$QA_INDEX``, ``$QA_DATA``), so the
API answers from the index the page shows. Every request (page, websocket, API) passes
`qa.serve.access.HostCheck` first: a ``Host`` this server does not serve gets 403.
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from qa.serve.access import HostCheck
from qa.serve.api import IndexSource, make_routes, page_index_dir

app = st.App(
    Path(__file__).resolve().with_name("page.py"),
    routes=make_routes(IndexSource(page_index_dir)),
    middleware=[Middleware(HostCheck)],
)
