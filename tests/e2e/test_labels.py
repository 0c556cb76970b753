"""Labels and the RMA page: barcodes a real decoder reads, links that cannot be guessed."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import httpx
from reportlab.pdfgen.canvas import Canvas

from tests.physical_support import authorized_return
from tests.support import bearer, customer_token, error_code, ok, open_shop


def _decode(pdf: bytes, tmp_path: Path) -> list[str]:
    """Every barcode zbarimg finds on the PDF's pages rendered at 300 dpi."""
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(tmp_path / "doc.pdf"), str(tmp_path / "page")],
        check=True,
    )
    found = []
    for page in sorted(tmp_path.glob("page*.png")):
        run = subprocess.run(["zbarimg", "--quiet", str(page)], capture_output=True, text=True)
        found += run.stdout.splitlines()
    return found


def _pdf(text: str = "prepaid") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, text)
    canvas.save()
    return buffer.getvalue()


def test_label_barcode_reads_back_as_the_rma_number(http: httpx.Client, tmp_path: Path) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "L-1")
    response = shop.call("GET", f"/v1/returns/{ret['id']}/label.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["label_type"] == "unpaid"

    codes = _decode(response.content, tmp_path)

    assert f"CODE-128:{ret['rma_number']}" in codes
    assert f"CODE-128:{ret['id']}" in codes  # the packing slip's code
    qr = [c.removeprefix("QR-Code:") for c in codes if c.startswith("QR-Code:")]
    assert len(qr) == 1
    assert f"/rma/{ret['rma_number']}?t=" in qr[0]


def test_the_link_in_the_qr_code_opens_the_rma_page(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "L-2", comment="<script>alert(1)</script>")
    links = ok(shop.call("GET", f"/v1/returns/{ret['id']}/links"))
    path = links["page_url"].removeprefix("http://127.0.0.1:8000")

    page = http.get(path)

    assert page.status_code == 200
    assert ret["rma_number"] in page.text
    assert "1 Dock Road" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    label = http.get(links["label_url"].removeprefix("http://127.0.0.1:8000"))
    assert label.content.startswith(b"%PDF-")


def test_rma_page_needs_the_link_or_a_credential_of_that_return(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "L-3")
    other = open_shop(http, "Other")
    other_ret = authorized_return(other, "L-4")
    other_link = ok(other.call("GET", f"/v1/returns/{other_ret['id']}/links"))["page_url"]
    other_token = other_link.split("?t=")[1]
    rma = ret["rma_number"]

    assert http.get(f"/rma/{rma}").status_code == 404
    assert http.get(f"/rma/{rma}?t=forged.token").status_code == 404
    assert http.get(f"/rma/{rma}?t={other_token}").status_code == 404  # another return's link
    assert http.get(f"/rma/{rma}", headers=bearer(other.keys["seller"])).status_code == 404
    stranger = customer_token(http, "L-4")
    assert http.get(f"/rma/{rma}", headers=bearer(stranger)).status_code == 404

    customer = customer_token(http, "L-3")
    assert http.get(f"/rma/{rma}", headers=bearer(customer)).status_code == 200
    assert http.get(f"/rma/{rma}", headers=bearer(shop.keys["seller"])).status_code == 200


def test_seller_uploads_a_prepaid_label_which_is_then_served(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "L-5")
    prepaid = _pdf("UPS prepaid")

    stored = ok(
        shop.call(
            "PUT",
            f"/v1/returns/{ret['id']}/label",
            files={"file": ("label.pdf", prepaid, "application/pdf")},
            data={"cost": "895", "carrier": "UPS", "tracking_number": "1ZPREPAID1"},
        )
    )

    assert stored == {
        "return_id": ret["id"],
        "label_type": "prepaid",
        "label_cost": 895,
        "currency": "USD",
    }
    token = customer_token(http, "L-5")
    served = http.get(f"/v1/returns/{ret['id']}/label.pdf", headers=bearer(token))
    assert served.content == prepaid
    tracking = ok(shop.call("GET", f"/v1/returns/{ret['id']}/tracking"))
    assert tracking["tracking_number"] == "1ZPREPAID1"


def test_label_upload_refuses_what_is_not_a_pdf_or_too_large(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized_return(shop, "L-6")
    path = f"/v1/returns/{ret['id']}/label"

    def put(data: bytes, role: str = "seller") -> httpx.Response:
        return shop.call("PUT", path, role, files={"file": ("x.pdf", data, "application/pdf")})

    assert error_code(put(b"<html>not a pdf</html>"), 422) == "not_a_pdf"
    assert error_code(put(_pdf()[:200]), 422) == "not_a_pdf"  # truncated
    huge = b"%PDF-1.4\n" + b"0" * 2_000_000 + b"\nstartxref\n0\n%%EOF\n"
    assert error_code(put(huge), 422) == "file_too_large"
    assert error_code(put(_pdf(), role="warehouse"), 403) == "forbidden"
    other = open_shop(http, "Other")
    response = other.call("PUT", path, files={"file": ("x.pdf", _pdf(), "application/pdf")})
    assert error_code(response, 404) == "return_not_found"
    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["id"] == ret["id"]
