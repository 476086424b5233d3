"""Downloadable import templates (CSV and XLSX), each with sample rows."""

import csv
import io

from fastapi import APIRouter
from fastapi.responses import Response
from listflow.ingest.domain.templates import TEMPLATES, Template
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from pydantic import BaseModel, Field

router = APIRouter(prefix="/v1/templates", tags=["templates"], responses=PROBLEM_RESPONSES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ColumnPublic(BaseModel):
    header: str
    field: str
    required: bool
    note: str


class TemplatePublic(BaseModel):
    name: str
    title: str
    description: str
    columns: list[ColumnPublic]
    rules: list[str] = Field(
        description="What every row must keep, in the words its errors use when broken"
    )
    match_key: str | None = Field(
        default=None, description="The key rows are matched by unless the upload names one"
    )
    downloads: dict[str, str]

    @classmethod
    def of(cls, template: Template) -> "TemplatePublic":
        return cls(
            name=template.name,
            title=template.title,
            description=template.description,
            columns=[
                ColumnPublic(header=c.header, field=c.field, required=c.required, note=c.note)
                for c in template.columns
            ],
            rules=template.rule_texts,
            match_key=template.match_key.value if template.match_key is not None else None,
            downloads={kind: f"/v1/templates/{template.name}.{kind}" for kind in ("csv", "xlsx")},
        )


class TemplateList(BaseModel):
    items: list[TemplatePublic]
    next_cursor: str | None = None


def _template(name: str) -> Template:
    template = TEMPLATES.get(name)
    if template is None:
        known = ", ".join(TEMPLATES)
        raise Problem(404, "Not Found", f"No template {name!r}; templates are: {known}.")
    return template


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("", response_model=TemplateList, summary="Import templates")
async def list_templates(_: TenantDep) -> TemplateList:
    return TemplateList(items=[TemplatePublic.of(t) for t in TEMPLATES.values()])


@router.get("/{name}.csv", summary="A template as CSV: header row and sample rows")
async def template_csv(name: str, _: TenantDep) -> Response:
    template = _template(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(template.headers)
    writer.writerows(template.sample)
    # A BOM, so that spreadsheet programs open the accented samples as UTF-8.
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"{name}.csv"),
    )


@router.get("/{name}.xlsx", summary="A template as an Excel workbook with sample rows")
async def template_xlsx(name: str, _: TenantDep) -> Response:
    template = _template(name)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = template.title[:31]
    sheet.append(template.headers)
    for row in template.sample:
        sheet.append(list(row))
    for header_cell, column in zip(sheet[1], template.columns, strict=True):
        header_cell.font = Font(bold=column.required)  # required columns stand out
        sheet.column_dimensions[header_cell.column_letter].width = max(12, len(column.header) + 2)
        # The header's note: the column's rules and hints, shown when the cell is pointed at.
        notes = [*template.rules_of(column), *([column.note] if column.note else [])]
        if notes:
            header_cell.comment = Comment("; ".join(notes), "Listflow", width=300, height=80)
    # The whole template's rules on a sheet of their own (uploads read the first sheet).
    rules = book.create_sheet("Rules")
    rules.append(["Rules of the template"])
    rules["A1"].font = Font(bold=True)
    for text in template.rule_texts:
        rules.append([text])
    rules.column_dimensions["A"].width = 80
    data = io.BytesIO()
    book.save(data)
    return Response(data.getvalue(), media_type=XLSX, headers=_attachment(f"{name}.xlsx"))


@router.get("/{name}", response_model=TemplatePublic, summary="One template's columns")
async def get_template(name: str, _: TenantDep) -> TemplatePublic:
    return TemplatePublic.of(_template(name))
