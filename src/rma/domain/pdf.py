"""What a PDF can do besides being printed: the names of active content it carries.

A shipping label needs none of it. Scripts, actions run on opening, launched programs,
embedded files, rich media and XFA forms are what an attacker puts in a "label" to run in
the reader of whoever opens it, so an uploaded label naming any of them is refused.

Names are read as the PDF syntax spells them, ``#xx`` escapes decoded (``/J#61vaScript`` is
``/JavaScript``), in the file as stored and inside its Flate-compressed streams (where
object streams hide dictionaries). A name inside a string is taken for one too: a label has
no reason to show such words, and a false refusal is cheaper than a missed script.
"""

from __future__ import annotations

import re
import zlib

ACTIVE_NAMES = frozenset(
    {
        "JavaScript",
        "JS",
        "OpenAction",
        "AA",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "RichMedia",
        "XFA",
    }
)

# A name: a solidus, then regular characters (anything but white space and delimiters).
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n")
_END = b"endstream"
_PIECE = 4096


class TooMuchToInflate(Exception):
    """The compressed streams inflate to more than the limit: a bomb, or no label."""


def active_content(data: bytes, *, max_inflated: int) -> set[str]:
    """The active-content names ``data`` carries, in clear or in compressed streams.

    Raises ``TooMuchToInflate`` once the streams inflate past ``max_inflated`` bytes.
    """
    found = _names(data)
    budget = max_inflated
    for stream in _streams(data):
        inflated = _inflate(stream, budget)
        if inflated is None:
            continue  # not Flate (or damaged): its bytes were searched as stored
        budget -= len(inflated)
        found |= _names(inflated)
    return found


def _names(data: bytes) -> set[str]:
    found = set()
    for match in _NAME.finditer(data):
        name = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        text = name.decode("latin-1")
        if text in ACTIVE_NAMES:
            found.add(text)
    return found


def _streams(data: bytes) -> list[bytes]:
    streams = []
    for match in _STREAM.finditer(data):
        if data[max(0, match.start() - 3) : match.start()] == b"end":
            continue  # the "stream" of "endstream"
        end = data.find(_END, match.end())
        streams.append(data[match.end() : end if end >= 0 else len(data)])
    return streams


def _inflate(stream: bytes, budget: int) -> bytes | None:
    # Fed a piece at a time, so a stream damaged after its start still gives up what comes
    # before the damage (readers show that much too).
    inflater = zlib.decompressobj()
    out = bytearray()
    for at in range(0, len(stream), _PIECE):
        try:
            out += inflater.decompress(stream[at : at + _PIECE], budget + 1 - len(out))
        except zlib.error:
            break
        if len(out) > budget:
            raise TooMuchToInflate(f"more than {budget} bytes")
        if inflater.eof:
            break
    return bytes(out) if out else None
