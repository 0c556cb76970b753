"""What a PDF can do besides being printed: the names of active content it carries.

A shipping label needs none of it. Scripts, actions run on opening, launched programs,
embedded files, rich media and XFA forms are what an attacker puts in a "label" to run in
the reader of whoever opens it, so an uploaded label naming any of them is refused.

Actions live in dictionaries, and a dictionary is either in the file as written or packed in
an object stream. Names are read as the PDF syntax spells them, ``#xx`` escapes decoded
(``/J#61vaScript`` is ``/JavaScript``), in the file as stored and in every stream once its
filters are undone (Flate, with PNG or TIFF predictors, ASCII hex, ASCII85, run length). An
object stream whose filters cannot be undone here cannot be inspected, and is reported so
the caller refuses it too. A name inside a string is taken for one: a label has no reason to
show such words, and a false refusal is cheaper than a missed script.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Callable

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
_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_INTEGER = rb"\s+(\d+)"
_PIECE = 4096


class TooMuchToInflate(Exception):
    """The streams decode to more than the limit: a bomb, or no label."""


class NotInspectable(Exception):
    """An object stream uses a filter this module cannot undo, so its content is unknown."""


def active_content(data: bytes, *, max_inflated: int) -> set[str]:
    """The active-content names ``data`` carries, in clear or in its streams.

    Raises ``TooMuchToInflate`` once the streams decode past ``max_inflated`` bytes, and
    ``NotInspectable`` for an object stream it cannot decode.
    """
    found = {name for name in names(data) if name in ACTIVE_NAMES}
    budget = _Budget(max_inflated)
    for dictionary, raw in _streams(data):
        decoded = _decode(raw, dictionary, budget)
        if decoded is None:
            if "ObjStm" in names(dictionary):
                raise NotInspectable("an object stream with filters that cannot be undone")
            continue  # an image or a font in a format we do not read: it holds no actions
        found |= {name for name in names(decoded) if name in ACTIVE_NAMES}
    return found


def names(data: bytes) -> list[str]:
    """Every name in ``data``, escapes decoded, in order."""
    return [
        _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1)).decode("latin-1")
        for match in _NAME.finditer(data)
    ]


class _Budget:
    def __init__(self, left: int):
        self.left = left

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise TooMuchToInflate("the streams decode to more than allowed")


def _streams(data: bytes) -> list[tuple[bytes, bytes]]:
    """Each stream's dictionary (the text of its object before it) and its raw bytes."""
    streams = []
    for match in _STREAM.finditer(data):
        window = max(0, match.start() - 65536)
        openings = list(_OBJECT.finditer(data, window, match.start()))
        dictionary = data[openings[-1].end() if openings else window : match.start()]
        length = _LENGTH.search(dictionary)
        start = match.end()
        if length is not None and start + int(length.group(1)) <= len(data):
            end = start + int(length.group(1))
        else:
            found = data.find(b"endstream", start)
            end = found if found >= 0 else len(data)
        streams.append((dictionary, data[start:end]))
    return streams


def _decode(raw: bytes, dictionary: bytes, budget: _Budget) -> bytes | None:
    """``raw`` with the dictionary's filters undone, or ``None`` if one is not known here."""
    listed = names(dictionary)
    filters = [name for name in listed if name in _FILTERS]
    unknown = {"LZWDecode", "LZW", "JBIG2Decode", "DCTDecode", "DCT", "JPXDecode", "Crypt"}
    if unknown & set(listed):
        return None
    data = raw
    for name in filters:
        try:
            data = _FILTERS[name](data, budget)
        except (ValueError, binascii.Error):
            return None
    predictor = _integer(dictionary, "Predictor")
    if predictor is not None and predictor > 1:
        columns = _integer(dictionary, "Columns") or 1
        colors = _integer(dictionary, "Colors") or 1
        bits = _integer(dictionary, "BitsPerComponent") or 8
        return _unpredict(data, predictor, columns * colors * bits // 8, max(1, colors * bits // 8))
    return data


def _integer(dictionary: bytes, key: str) -> int | None:
    match = re.search(b"/" + key.encode() + _INTEGER, dictionary)
    return int(match.group(1)) if match else None


def _inflate(stream: bytes, budget: _Budget) -> bytes:
    # Fed a piece at a time, so a stream damaged after its start still gives up what comes
    # before the damage (readers show that much too).
    inflater = zlib.decompressobj()
    out = bytearray()
    for at in range(0, len(stream), _PIECE):
        try:
            piece = inflater.decompress(stream[at : at + _PIECE], budget.left + 1)
        except zlib.error as error:
            if not out:
                raise ValueError("not a Flate stream (or an encrypted one)") from error
            break
        budget.spend(len(piece))
        out += piece
        if inflater.eof:
            break
    return bytes(out)


def _ascii_hex(data: bytes, budget: _Budget) -> bytes:
    digits = re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">", 1)[0])
    decoded = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
    budget.spend(len(decoded))
    return decoded


def _ascii85(data: bytes, budget: _Budget) -> bytes:
    text = re.sub(rb"\s", b"", data).removeprefix(b"<~").split(b"~>", 1)[0]
    decoded = base64.a85decode(text)
    budget.spend(len(decoded))
    return decoded


def _run_length(data: bytes, budget: _Budget) -> bytes:
    out = bytearray()
    at = 0
    while at < len(data) and data[at] != 128:
        length = data[at]
        if length < 128:
            chunk = data[at + 1 : at + 2 + length]
            at += 2 + length
        else:
            chunk = data[at + 1 : at + 2] * (257 - length)
            at += 2
        budget.spend(len(chunk))
        out += chunk
    return bytes(out)


_FILTERS: dict[str, Callable[[bytes, _Budget], bytes]] = {
    "FlateDecode": _inflate,
    "Fl": _inflate,
    "ASCIIHexDecode": _ascii_hex,
    "AHx": _ascii_hex,
    "ASCII85Decode": _ascii85,
    "A85": _ascii85,
    "RunLengthDecode": _run_length,
    "RL": _run_length,
}


def _unpredict(data: bytes, predictor: int, row: int, step: int) -> bytes | None:
    """Undo a PNG (10-15) or TIFF (2, 8-bit) predictor over rows of ``row`` bytes."""
    if row <= 0:
        return None
    if predictor == 2:
        out = bytearray(data)
        for start in range(0, len(out), row):
            for i in range(start + step, min(start + row, len(out))):
                out[i] = (out[i] + out[i - step]) & 0xFF
        return bytes(out)
    if predictor < 10:
        return None
    out = bytearray()
    previous = bytearray(row)
    for start in range(0, len(data), row + 1):
        kind, line = data[start], bytearray(data[start + 1 : start + 1 + row])
        for i in range(len(line)):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            line[i] = (line[i] + _png(kind, left, up, corner)) & 0xFF
        out += line
        previous = line + bytearray(row - len(line))
    return bytes(out)


def _png(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    if kind == 4:
        guess = left + up - corner
        near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up))
        near = min(near, (abs(guess - corner), 2, corner))
        return near[2]
    return 0
