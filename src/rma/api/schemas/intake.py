"""Orders taken in bulk: the report of a CSV import."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rma.services.order_import import ImportReport


class RowProblemPublic(BaseModel):
    row: int = Field(description="Row of the file, the header being row 1")
    field: str = Field(description="The column at fault")
    code: str
    message: str
    order_number: str


class OrderImportPublic(BaseModel):
    rows: int = Field(description="Rows read, the header left out")
    created: int = Field(description="Orders created")
    updated: int = Field(description="Orders that gained lines, shipments or delivery dates")
    unchanged: int = Field(description="Orders already as the file describes them")
    refused: int = Field(description="Orders not imported at all, for the problems listed")
    problems: list[RowProblemPublic] = Field(description="The first 1,000 problems")
    problems_total: int

    @classmethod
    def of(cls, report: ImportReport) -> OrderImportPublic:
        return cls(
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            refused=report.refused,
            problems=[
                RowProblemPublic(
                    row=p.row,
                    field=p.field,
                    code=p.code,
                    message=p.message,
                    order_number=p.order_number,
                )
                for p in report.problems
            ],
            problems_total=report.problems_total,
        )
