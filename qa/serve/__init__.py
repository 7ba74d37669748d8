"""Stage 4, serve: what people use. The JSON API (`api`), the document library
behind the page (`library`), feedback storage (`feedback`), HTML and text
rendering of answers (`render`, `labels`), the page's layout (`page`; ``ui/app.py``
runs it in a checkout) and the server ``qa ui`` runs (`server`: the page and the
API in one st.App) and who may do what on it (`access`: the owner's password, the
Host names served). Nothing in `qa` imports this package except the command line.
"""
