"""Return labels and slips as PDF, drawn with reportlab and its own Code 128 and QR widgets.

Page 1 is a US Letter sheet: a 4x6 in label at the top (cut along the dashes), and below it
the return authorization slip listing the items. Page 2 is the packing slip that goes in
the box, with the RMA barcode the warehouse scans.
"""

from __future__ import annotations

import hashlib
import io
import json
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from rma.domain.addresses import Address
from rma.services.labels import ReturnDocuments

# Bump when the drawing changes, so labels cached by an older version are drawn again.
LAYOUT_VERSION = 1
LABEL_W, LABEL_H = 4 * inch, 6 * inch
PAGE_W, PAGE_H = LETTER
_STYLE = getSampleStyleSheet()["BodyText"]


def label_version(docs: ReturnDocuments, page_url: str) -> str:
    """A name for what the documents of ``docs`` show: it changes whenever any of it does.

    The return's row version changes with every write of the return; the digest covers
    what the label shows from elsewhere (seller, order, products, the page link) and what
    bulk writes of the return could change without it. Keep it next to the drawing: what
    ``render_documents`` reads, this reads.
    """
    ret = docs.ret
    shown = {
        "layout": LAYOUT_VERSION,
        "id": ret.id,
        "rma_number": ret.rma_number,
        "label_type": str(ret.label_type),
        "order_number": ret.order_number,
        "ship_from": _lines(ret.ship_from),
        "return_address": _lines(ret.return_address),
        "carrier": ret.carrier,
        "tracking_number": ret.tracking_number,
        "deadline": ret.deadline.isoformat() if ret.deadline else None,
        "items": [
            [i.id, i.sku, i.authorized_quantity, i.reason_code, i.comment] for i in ret.items
        ],
        "item_names": docs.item_names,
        "seller_name": docs.seller_name,
        "customer_name": docs.customer_name,
        "page_url": page_url,
    }
    digest = hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()
    return f"v{ret.version}-{digest[:32]}"


def render_documents(docs: ReturnDocuments, page_url: str) -> bytes:
    """The label, the authorization slip and the packing slip of one return, as PDF."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=True)
    canvas.setTitle(f"Return {docs.ret.rma_number}")
    canvas.setAuthor(docs.seller_name or "rma")
    x0, y0 = (PAGE_W - LABEL_W) / 2, PAGE_H - 0.4 * inch - LABEL_H
    _label(canvas, docs, page_url, x0, y0)
    _cut_line(canvas, y0 - 0.15 * inch)
    _slip(canvas, docs, "Return authorization", y0 - 0.45 * inch, keep="Keep this part.")
    canvas.showPage()
    _packing_slip(canvas, docs)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _label(canvas: Canvas, docs: ReturnDocuments, page_url: str, x0: float, y0: float) -> None:
    ret = docs.ret
    assert ret.rma_number is not None
    canvas.setLineWidth(1.2)
    canvas.rect(x0, y0, LABEL_W, LABEL_H)
    pad = 0.18 * inch
    left, top = x0 + pad, y0 + LABEL_H - pad
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(left, top - 14, "RETURN")
    canvas.setFont("Helvetica", 8)
    postage = "PREPAID" if ret.label_type == "prepaid" else "Postage paid by sender"
    canvas.drawRightString(x0 + LABEL_W - pad, top - 10, postage)

    # An order without a shipping address prints the customer's name: the customer writes
    # the street on the label, which is better than a made-up "(your address)".
    sender = docs.sender.lines() if docs.sender else [docs.customer_name]
    y = _block(canvas, "FROM", sender, left, top - 34, size=8, width=LABEL_W - 2 * pad)
    recipient = _lines(ret.return_address) or [docs.seller_name or "the seller"]
    supplier_rma = (ret.routing or {}).get("supplier_rma_number")
    if supplier_rma:  # a supplier took it back under its own number (docs/partners.md)
        recipient = [*recipient, f"Attn: supplier RMA {supplier_rma}"]
    y = _block(
        canvas,
        "SHIP TO",
        recipient,
        left + 0.3 * inch,
        y - 10,
        size=12,
        width=LABEL_W - 2 * pad - 0.3 * inch,
    )

    barcode = code128.Code128(ret.rma_number, barHeight=0.8 * inch, barWidth=1.3, quiet=True)
    bar_y = y0 + 1.75 * inch
    barcode.drawOn(canvas, x0 + (LABEL_W - barcode.width) / 2, bar_y)
    canvas.setFont("Helvetica-Bold", 15)
    canvas.drawCentredString(x0 + LABEL_W / 2, bar_y - 18, f"RMA {ret.rma_number}")

    size = 1.15 * inch
    widget = qr.QrCodeWidget(page_url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x0 + LABEL_W - pad - size, y0 + pad * 0.6)
    canvas.setFont("Helvetica", 7.5)
    notes = [
        *([f"Supplier RMA {supplier_rma}"] if supplier_rma else []),
        f"Order {ret.order_number}",
        f"{sum(i.authorized_quantity for i in ret.items)} unit(s)",
    ]
    if ret.carrier or ret.tracking_number:
        notes.append(f"{ret.carrier or ''} {ret.tracking_number or ''}".strip())
    notes.append("Scan for status and instructions")
    for index, text in enumerate(notes):
        canvas.drawString(left, y0 + pad + 0.6 * inch - index * 10, text[:48])


def _slip(canvas: Canvas, docs: ReturnDocuments, title: str, top: float, keep: str) -> None:
    ret = docs.ret
    margin = 0.75 * inch
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawString(margin, top - 12, f"{title}: RMA {ret.rma_number}")
    canvas.setFont("Helvetica", 9)
    deadline = f"Ship by {ret.deadline:%Y-%m-%d}. " if ret.deadline else ""
    canvas.drawString(margin, top - 28, f"Order {ret.order_number}. {deadline}{keep}"[:110])
    table = _items_table(docs)
    _, height = table.wrapOn(canvas, PAGE_W - 2 * margin, top)
    table.drawOn(canvas, margin, top - 40 - height)


def _packing_slip(canvas: Canvas, docs: ReturnDocuments) -> None:
    ret = docs.ret
    assert ret.rma_number is not None
    margin = 0.75 * inch
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(margin, PAGE_H - margin - 18, "Packing slip: put this in the box")
    barcode = code128.Code128(ret.rma_number, barHeight=0.9 * inch, barWidth=1.4, quiet=True)
    barcode.drawOn(canvas, margin, PAGE_H - margin - 1.5 * inch)
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(margin, PAGE_H - margin - 1.75 * inch, f"RMA {ret.rma_number}")
    slip = code128.Code128(ret.id, barHeight=0.45 * inch, barWidth=0.9, quiet=True)
    slip.drawOn(canvas, margin, PAGE_H - margin - 2.5 * inch)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(margin, PAGE_H - margin - 2.65 * inch, f"Slip {ret.id}")
    _slip(canvas, docs, "Contents", PAGE_H - margin - 3.0 * inch, keep="")


def _items_table(docs: ReturnDocuments) -> Table:
    rows: list[list[object]] = [["SKU", "Item", "Qty", "Reason"]]
    for item in docs.ret.items:
        if item.authorized_quantity == 0:
            continue
        name = escape(docs.item_names.get(item.id, item.sku))
        comment = f"<br/><i>{escape(item.comment)}</i>" if item.comment else ""
        rows.append(
            [
                Paragraph(escape(item.sku), _STYLE),
                Paragraph(f"{name}{comment}", _STYLE),
                str(item.authorized_quantity),
                Paragraph(escape(item.reason_code), _STYLE),
            ]
        )
    table = Table(rows, colWidths=[1.5 * inch, 3.4 * inch, 0.5 * inch, 1.6 * inch], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, "black"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _block(
    canvas: Canvas, heading: str, lines: list[str], x: float, y: float, *, size: float, width: float
) -> float:
    canvas.setFont("Helvetica-Bold", 7)
    canvas.drawString(x, y, heading)
    y -= size + 3
    canvas.setFont("Helvetica-Bold" if size > 10 else "Helvetica", size)
    for line in lines:
        for part in simpleSplit(line, "Helvetica", size, width)[:2]:
            canvas.drawString(x, y, part)
            y -= size + 2
    return y


def _cut_line(canvas: Canvas, y: float) -> None:
    canvas.saveState()
    canvas.setDash(4, 3)
    canvas.setLineWidth(0.5)
    canvas.line(0.4 * inch, y, PAGE_W - 0.4 * inch, y)
    canvas.restoreState()


def _lines(address: Address | None) -> list[str]:
    return address.lines() if address else []
