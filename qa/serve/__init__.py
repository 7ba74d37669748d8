"""Stage 4, serve: what people use. The JSON API (`api`), the document library
behind the page (`library`), feedback storage (`feedback`), HTML and text
rendering of answers (`render`, `labels`). The page layout itself is
``ui/app.py``; the command line is `qa.cli`. Nothing in `qa` imports this
package except the command line.
"""
