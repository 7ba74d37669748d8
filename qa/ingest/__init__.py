"""Stage 1, ingest: files -> `Document` -> `Passage`.

`formats` opens each file type, `reading` reads a document's text into blocks
(headings, paragraphs, lists, tables, code), `loader` walks a folder into
`Document`s and `chunking` cuts them into passages with exact offsets. Imports
only the shared modules (`qa.errors`, `qa.types`, `qa.text`).
"""
