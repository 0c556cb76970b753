"""Active content is found however a PDF spells or packs it; an ordinary label has none."""

from __future__ import annotations

import base64
import io
import zlib

import pytest
from reportlab.pdfgen.canvas import Canvas

from rma.domain.pdf import NotInspectable, TooMuchToInflate, active_content

LIMIT = 10_000_000
SCRIPT = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>"


def label(text: str = "UPS prepaid", *, compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=1 if compress else 0)
    canvas.drawString(72, 720, text)
    canvas.save()
    return buffer.getvalue()


def object_stream(payload: bytes, dictionary: bytes) -> bytes:
    """A PDF carrying ``payload`` as object stream 12, described by ``dictionary``."""
    stream = (
        b"12 0 obj\n<< /Type /ObjStm /N 1 /First 5 "
        + dictionary
        + b" /Length "
        + str(len(payload)).encode()
        + b" >>\nstream\n"
        + payload
        + b"\nendstream\nendobj\n"
    )
    pdf = label()
    at = pdf.index(b"\nxref\n") + 1
    return pdf[:at] + stream + pdf[at:]


def png_sub_rows(data: bytes, columns: int) -> bytes:
    """``data`` encoded with the PNG Sub predictor, ``columns`` bytes a row."""
    out = bytearray()
    for start in range(0, len(data), columns):
        row = data[start : start + columns]
        out.append(1)
        out += bytes((row[i] - (row[i - 1] if i else 0)) & 0xFF for i in range(len(row)))
    return bytes(out)


def test_labels_as_a_pdf_library_writes_them_carry_nothing_active() -> None:
    assert active_content(label(), max_inflated=LIMIT) == set()
    assert active_content(label(compress=False), max_inflated=LIMIT) == set()
    words = label("JavaScript OpenAction Launch: words on a label are not names")
    assert active_content(words, max_inflated=LIMIT) == set()


@pytest.mark.parametrize(
    ("name", "dictionary", "payload"),
    [
        ("flate", b"/Filter /FlateDecode", zlib.compress(b"12 0 " + SCRIPT)),
        (
            "ascii85 then flate",
            b"/Filter [/ASCII85Decode /FlateDecode]",
            base64.a85encode(zlib.compress(b"12 0 " + SCRIPT)) + b"~>",
        ),
        (
            "ascii hex",
            b"/Filter /AHx",
            (b"12 0 " + SCRIPT).hex().encode() + b">",
        ),
        (
            "flate with a png predictor that splits the names across rows",
            b"/Filter /FlateDecode /DecodeParms << /Predictor 11 /Columns 3 >>",
            zlib.compress(png_sub_rows(b"12 0 " + SCRIPT, 3)),
        ),
        (
            "escaped names",
            b"/Filter /Fl#61teDecode",
            zlib.compress(b"12 0 << /S /J#61vaScript /J#53 (x) >>"),
        ),
    ],
)
def test_javascript_packed_in_an_object_stream_is_found(
    name: str, dictionary: bytes, payload: bytes
) -> None:
    assert {"JavaScript", "JS"} <= active_content(
        object_stream(payload, dictionary), max_inflated=LIMIT
    ), name


def test_a_stream_is_read_to_its_length_even_past_a_fake_end() -> None:
    payload = b"12 0 endstream " + SCRIPT
    assert "JavaScript" in active_content(object_stream(payload, b""), max_inflated=LIMIT)


def test_an_object_stream_that_cannot_be_decoded_cannot_be_inspected() -> None:
    lzw = object_stream(b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01", b"/Filter /LZWDecode")
    encrypted = object_stream(bytes(range(256)) * 4, b"/Filter /FlateDecode")

    with pytest.raises(NotInspectable):
        active_content(lzw, max_inflated=LIMIT)
    with pytest.raises(NotInspectable):
        active_content(encrypted, max_inflated=LIMIT)


def test_a_decompression_bomb_stops_at_the_limit() -> None:
    bomb = object_stream(zlib.compress(b"\0" * 5_000_000, 9), b"/Filter /FlateDecode")

    with pytest.raises(TooMuchToInflate):
        active_content(bomb, max_inflated=1_000_000)
