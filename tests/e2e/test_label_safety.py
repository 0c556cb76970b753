"""Prepaid labels with active content are refused; every label is served as an inert download."""

from __future__ import annotations

import io
import zlib

import httpx
import pytest
from reportlab.pdfgen.canvas import Canvas

from rma.bootstrap import Container
from tests.physical_support import authorized_return
from tests.support import customer_token, error_code, ok, open_shop


def plain_pdf(text: str = "UPS prepaid") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, text)
    canvas.save()
    return buffer.getvalue()


def with_catalog_entry(entry: bytes) -> bytes:
    """A PDF whose document catalog carries ``entry`` (as an attacker would add it)."""
    pdf = plain_pdf()
    assert b"/Type /Catalog" in pdf
    return pdf.replace(b"/Type /Catalog", b"/Type /Catalog " + entry, 1)


def with_object_stream(objects: bytes) -> bytes:
    """A PDF with a compressed object stream holding ``objects`` (PDF 1.5 and later)."""
    packed = zlib.compress(b"12 0 " + objects)
    stream = (
        b"12 0 obj\n<< /Type /ObjStm /N 1 /First 5 /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n"
    )
    pdf = plain_pdf()
    at = pdf.index(b"\nxref\n") + 1
    return pdf[:at] + stream + pdf[at:]


ACTIVE = {
    "open action with javascript": with_catalog_entry(
        b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"
    ),
    "name-escaped javascript": with_catalog_entry(b"/OpenAction << /S /J#61vaScript /J#53 (x) >>"),
    "name-escaped open action": with_catalog_entry(b"/#4Fpen#41ction 3 0 R"),
    "additional actions": with_catalog_entry(b"/AA << /O << /S /Launch /F (calc.exe) >> >>"),
    "launch": with_catalog_entry(b"/Names << /X << /S /Launch /F (cmd) >> >>"),
    "embedded file": with_catalog_entry(b"/Names << /EmbeddedFiles << /Names [] >> >>"),
    "rich media": with_catalog_entry(b"/Extra << /Subtype /RichMedia >>"),
    "xfa form": with_catalog_entry(b"/AcroForm << /XFA 9 0 R >>"),
    "javascript in an object stream": with_object_stream(
        b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIVE))
def test_a_prepaid_label_with_active_content_is_refused_and_not_stored(
    http: httpx.Client, container: Container, name: str
) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "S-1")

    refused = shop.call(
        "PUT",
        f"/v1/returns/{ret['id']}/label",
        files={"file": ("label.pdf", ACTIVE[name], "application/pdf")},
    )

    assert error_code(refused, 422) == "pdf_active_content"
    assert refused.json()["error"]["details"][0]["field"] == "file"
    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["label_type"] != "prepaid"
    assert not (container.files.root / "labels" / shop.seller_id / f"{ret['id']}.pdf").exists()


def test_a_label_that_only_mentions_javascript_in_its_text_is_accepted(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "S-2")
    harmless = plain_pdf("Do not open JavaScript links; OpenAction, Launch, AA and JS")

    stored = shop.call(
        "PUT",
        f"/v1/returns/{ret['id']}/label",
        files={"file": ("label.pdf", harmless, "application/pdf")},
    )

    assert ok(stored)["label_type"] == "prepaid"


def assert_inert_download(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_labels_are_served_as_sandboxed_attachments(http: httpx.Client) -> None:
    shop = open_shop(http)
    generated = authorized_return(shop, "S-3")
    prepaid = authorized_return(shop, "S-4")
    upload = plain_pdf()
    ok(
        shop.call(
            "PUT",
            f"/v1/returns/{prepaid['id']}/label",
            files={"file": ("label.pdf", upload, "application/pdf")},
        )
    )
    links = ok(shop.call("GET", f"/v1/returns/{generated['id']}/links"))
    token = customer_token(http, "S-4")

    assert_inert_download(shop.call("GET", f"/v1/returns/{generated['id']}/label.pdf"))
    assert_inert_download(http.get(links["label_url"].removeprefix("http://127.0.0.1:8000")))
    served = http.get(
        f"/v1/returns/{prepaid['id']}/label.pdf", headers={"Authorization": f"Bearer {token}"}
    )
    assert_inert_download(served)
    assert served.content == upload
