"""A text file's bytes decoded, its encoding found: byte-order marks, UTF-8, then charset-normalizer.

`decode` turns the bytes of a file into the text every offset of its passages indexes, or
raises `SourceError` saying why the file is not text. The order:

1. A byte-order mark names the encoding: UTF-32 and UTF-16 (either byte order), whose codec drops
   the mark, and UTF-8, whose mark stays as the character ``\\ufeff`` (as
   ``open(path, encoding="utf-8")`` reads it, so offsets into UTF-8 files are what they always were).
2. Bytes that are valid UTF-8 are UTF-8 (most files; nothing else is tried).
3. Otherwise charset-normalizer picks the encoding (UTF-16 without a mark, cp1252, Latin-1,
   cp1251, Shift-JIS, GB18030, ...). On a short Western text its first pick is often a cousin
   that misreads a few letters (cp1257 for French, cp1250 for German, mac_latin2), so when it picks
   a single-byte encoding, cp1252 (or Latin-1 where cp1252 leaves a byte undefined) is taken
   whenever charset-normalizer, asked about cp1252 alone, finds it as good: the encoding a legacy
   file without a label most likely has, as browsers assume.

A file is *binary* (not text) when it holds NUL bytes and is not UTF-16/32, when no encoding
decodes it, or when its text is more than `MAX_CONTROL_SHARE` control characters (not counting
tabs, line breaks, form feeds, and the escapes and backspaces of terminal output, which
`qa.ingest.terminal` reads through). Newlines are universal (``\\r\\n`` and ``\\r`` read ``\\n``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from ..errors import SourceError

__all__ = ["Decoded", "decode", "MAX_CONTROL_SHARE"]

MAX_CONTROL_SHARE = 0.05
_BOMS = (  # longest first: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters that do not occur in text (tab, line breaks, form feed, ESC and backspace are left out).
_CONTROL = re.compile(r"[\x00-\x07\x0e-\x1a\x1c-\x1f\x7f]")
_WESTERN = ("cp1252", "latin_1")
_MULTIBYTE = ("utf", "ascii", "gb", "big5", "cp932", "shift_jis", "euc", "iso2022", "cp949", "johab", "hz", "cp950")
_WIDE = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
_MARGIN = 0.1  # how much more "chaos" (charset-normalizer's mess measure) cp1252 may show and still be taken
_COHERENCE = 0.2  # how much less "coherence" (fit to a language's letter frequencies: noise on a few accented
# letters, large for a text in another script, e.g. 0.47 for Russian in cp1251) cp1252 may show


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text and the encoding it was read with (a Python codec name)."""

    text: str
    encoding: str


def decode(raw: bytes, where: str = "file") -> Decoded:
    """The text of a file's bytes, universal newlines applied.

    Parameters
    ----------
    raw : bytes
        The file's content.
    where : str
        The file's name, for the error message.

    Returns
    -------
    Decoded
        The text (offsets of the file's passages index it) and the encoding.

    Raises
    ------
    SourceError
        The bytes are binary, not text in any encoding found.

    Examples
    --------
    >>> decode("naïve café\\r\\n".encode("cp1252")).text
    'naïve café\\n'
    >>> decode(codecs.BOM_UTF16_LE + "hi".encode("utf-16-le")).encoding
    'utf-16'
    """
    encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    text = None
    if encoding is not None:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{where}: not text (its {encoding.upper()} byte-order mark is followed by bytes "
                f"that are not {encoding.upper()}, at offset {exc.start})"
            ) from None
    elif b"\x00" not in raw:
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    if text is None:
        if b"\x00" in raw[:65536] and not _wide_text(raw[:65536]):  # most binaries: told without a detector
            raise SourceError(f"{where}: binary file (holds NUL bytes), not text")
        text, encoding = _detected(raw, where)
    if text:
        controls = len(_CONTROL.findall(text, 0, 1 << 20))
        if controls > MAX_CONTROL_SHARE * min(len(text), 1 << 20):
            raise SourceError(f"{where}: binary file ({controls:,} control characters), not text")
    return Decoded(text.replace("\r\n", "\n").replace("\r", "\n"), encoding)


def _wide_text(raw: bytes) -> bool:
    """Whether NUL-holding bytes look like UTF-16/32 text without a byte-order mark: NULs in one of
    the two byte positions of most code units (the high byte of Latin letters). A binary file's NULs
    fall anywhere; UTF-16 without a mark is recognised only for mostly Latin text."""
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    return max(even, odd) >= 0.3 * (len(raw) // 2) and min(even, odd) <= 0.1 * max(even, odd)


def _detected(raw: bytes, where: str) -> tuple[str, str]:
    """Text and encoding as charset-normalizer finds them, cp1252/Latin-1 preferred when as good."""
    from charset_normalizer import from_bytes

    # Text in UTF-16/32 without a byte-order mark holds NUL bytes (the high byte of ASCII letters);
    # without any, a short Latin-1 word could otherwise read as two CJK characters.
    results = from_bytes(raw, cp_exclusion=None if b"\x00" in raw else _WIDE)
    best = results.best()
    if best is None:
        why = "holds NUL bytes" if b"\x00" in raw else "no text encoding reads it"
        raise SourceError(f"{where}: binary file ({why}), not text")
    encoding = best.encoding
    if b"\x00" in raw and not (encoding.startswith(("utf_16", "utf_32")) and _wide_text(raw)):
        raise SourceError(f"{where}: binary file (holds NUL bytes), not text")
    if encoding not in _WESTERN and not encoding.startswith(_MULTIBYTE):
        # Another single-byte pick: cp1252 instead when charset-normalizer, asked about cp1252 alone,
        # finds it as good (its first pick among look-alikes is often a cousin).
        western = from_bytes(raw, cp_isolation=["cp1252"]).best() or from_bytes(raw, cp_isolation=["latin_1"]).best()
        if (
            western is not None
            and western.chaos <= best.chaos + _MARGIN
            and western.coherence >= best.coherence - _COHERENCE
        ):
            encoding = "cp1252"
    if encoding == "cp1252":
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:  # a byte cp1252 leaves undefined (0x81, 0x8d, ...): Latin-1 reads every byte
            return raw.decode("latin_1"), "latin_1"
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError:  # charset-normalizer read it with its own error handling
        return str(best), encoding
