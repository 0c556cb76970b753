"""Labels: the generated PDF, a seller's prepaid upload, and the links to the RMA page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from rma.api import schemas
from rma.api.deps import ANYONE, STAFF, ContainerDep, PrincipalDep, scope_of
from rma.bootstrap import Container
from rma.domain.returns import Return
from rma.services import labels as service

router = APIRouter(tags=["labels"])

ReturnRef = Annotated[str, Path(min_length=1, max_length=64, description="Return id or RMA number")]
BINARY = {"schema": {"type": "string", "format": "binary"}}  # generated clients: a file
PDF = {200: {"content": {"application/pdf": BINARY}, "description": "A PDF document"}}


def page_url(container: Container, ret: Return) -> str:
    """The unguessable, expiring link to a return's RMA page (what the customer gets)."""
    return container.page_links.url(ret)


def pdf_response(container: Container, docs: service.ReturnDocuments) -> Response:
    """The prepaid label if the seller gave one, else our label and slips."""
    data = docs.prepaid_label or container.labels.label(docs, page_url(container, docs.ret))
    name = f"rma-{docs.ret.rma_number}.pdf"
    return Response(data, media_type="application/pdf", headers=inert_download(name))


def inert_download(name: str) -> dict[str, str]:
    """Headers that keep a served file from running in our origin: saved, sandboxed, unsniffed.

    A prepaid label is the seller's file; opened inline, a PDF viewer in the browser would
    run any script left in it with our origin. The upload check refuses active content, and
    these headers hold should one slip through.
    """
    return {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
    }


@router.get(
    "/v1/returns/{ref}/label.pdf",
    operation_id="returns-label",
    response_class=Response,
    responses=PDF,  # type: ignore[arg-type]
)
def get_label(ref: ReturnRef, container: ContainerDep, principal: PrincipalDep) -> Response:
    docs = service.return_documents(
        scope_of(principal, *ANYONE), ref, container.uow(), container.files
    )
    return pdf_response(container, docs)


@router.put(
    "/v1/returns/{ref}/label",
    operation_id="returns-label-put",
    response_model=schemas.LabelPublic,
    summary="Upload a prepaid label (PDF) to serve instead of the generated one",
)
async def put_label(
    ref: ReturnRef,
    file: UploadFile,
    container: ContainerDep,
    principal: PrincipalDep,
    cost: Annotated[int | None, Form(ge=0, le=10**9, description="Minor units")] = None,
    carrier: Annotated[str | None, Form(max_length=64)] = None,
    tracking_number: Annotated[str | None, Form(max_length=100, pattern=r"^\S+$")] = None,
) -> schemas.LabelPublic:
    limit = container.settings.label_max_bytes
    data = await file.read(limit + 1)
    cmd = service.AttachLabel(
        scope_of(principal, *STAFF), ref, data, limit, cost, carrier, tracking_number
    )
    # In a thread: on the event loop its waits for the database would hold every request.
    ret = await run_in_threadpool(
        service.attach_prepaid_label, cmd, container.uow(), container.files
    )
    return schemas.LabelPublic(
        return_id=ret.id,
        label_type=ret.label_type,
        label_cost=ret.label_cost,
        currency=ret.currency,
    )


@router.get(
    "/v1/returns/{ref}/links", operation_id="returns-links", response_model=schemas.LinksPublic
)
def get_links(
    ref: ReturnRef, container: ContainerDep, principal: PrincipalDep
) -> schemas.LinksPublic:
    docs = service.return_documents(
        scope_of(principal, *STAFF), ref, container.uow(), container.files
    )
    links = container.page_links
    return schemas.LinksPublic(
        page_url=links.url(docs.ret), label_url=links.url(docs.ret, "/label.pdf")
    )
