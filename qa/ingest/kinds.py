"""Which files qa reads: the one answer the loader (`qa index`, a served folder) and the page's
upload (`qa.serve.uploads`) both give.

qa reads PDF, DOCX and HTML files by their suffix, and every other file that is text, whatever
its name: ``.txt``, ``.md`` and ``.rst`` files, and files with no suffix or an unknown one
(``README``, ``FAQ``, ``README.Debian``, ``METADATA``, ``CHANGES``, ``notes.log``), which the
loader sniffs (`qa.ingest.decoding`: not binary, a decodable text). The files it does not read
without opening them are those whose suffix names a kind that is not a document's text
(`NOT_DOCUMENTS`: images, audio and video, archives and compressed files, fonts, programs and
libraries, databases, office formats qa has no reader for, a web page's styles and scripts);
`refusal` says why for such a name.
"""

from __future__ import annotations

from pathlib import PurePath

__all__ = ["ACCEPTED", "NOT_DOCUMENTS", "refusal"]

ACCEPTED = ".txt, .md, .rst and any other text file (README, FAQ, METADATA, ...), .pdf, .docx, .html"

_GROUPS = {
    "an image": ".png .jpg .jpeg .gif .bmp .tif .tiff .webp .ico .icns .svg .svgz .heic .psd .xcf .eps",
    "audio or video": ".mp3 .wav .ogg .oga .flac .aac .m4a .opus .mp4 .m4v .mkv .avi .mov .webm .wmv .mpg .mpeg",
    "an archive": ".zip .tar .tgz .tbz2 .txz .7z .rar .jar .war .whl .egg .deb .rpm .apk .dmg .iso .cab .msi",
    "a compressed file": ".gz .bz2 .xz .lz .lzma .lz4 .zst .z",
    "a font": ".ttf .otf .woff .woff2 .eot .pfb .pfa .afm",
    "a program or library": ".exe .dll .so .dylib .a .o .obj .lib .bin .class .pyc .pyo .pyd .wasm .elc",
    "a database or data array": ".sqlite .sqlite3 .db .mdb .accdb .npy .npz .pkl .pickle .parquet .feather .h5 .hdf5",
    "an office file qa has no reader for (save it as .docx, .pdf or text)": ".doc .dot .xls .xlsx .xlsm .ppt .pptx .odt .ods .odp .rtf .pages .numbers .key .epub .mobi .ps .djvu",
    "a web page's style or script": ".css .js .mjs .map",
}
NOT_DOCUMENTS: dict[str, str] = {suffix: what for what, suffixes in _GROUPS.items() for suffix in suffixes.split()}


def refusal(name) -> str | None:
    """Why a file named `name` is not read, or None if qa reads it (or sniffs it for text).

    Examples
    --------
    >>> refusal("logo.PNG")
    "unsupported file type '.png' (an image)"
    >>> refusal("README") is None, refusal("README.Debian") is None, refusal("guide.pdf") is None
    (True, True, True)
    """
    suffix = PurePath(str(name)).suffix.lower()
    what = NOT_DOCUMENTS.get(suffix)
    return f"unsupported file type {suffix!r} ({what})" if what else None
