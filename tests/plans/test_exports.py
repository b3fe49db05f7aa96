"""Exports of a plan edition, read back: Excel (openpyxl), CSV (UTF-8 with BOM), the plan file."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from yakusho.plans.planfile.files import canonical, read
from yakusho.plans.planfile.schema import PlanFile

pytestmark = pytest.mark.django_db
OE = Path(__file__).resolve().parents[2] / "data" / "plans" / "oe-2024.yaml"


@pytest.mark.excel
def test_excel_workbook_reads_back(demo_with_plans, client: Client) -> None:
    response = client.get(reverse("plans:export", args=["oe", "oe-dx", "xlsx"]))
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["施策体系", "工程表", "KPI", "実績値"]
    tree = wb["施策体系"]
    assert tree["A1"].value == "大江町DX推進計画"
    levels = [row[0] for row in tree.iter_rows(min_row=3, values_only=True)]
    assert levels.count("具体的施策") == 33 and levels.count("基本目標") == 3
    road = wb["工程表"]
    header = [c.value for c in road[1]]
    assert header[2:] == ["令和6年度", "令和7年度", "令和8年度", "令和9年度", "令和10年度", "令和11年度"]
    kpi = wb["KPI"]
    header = [c.value for c in kpi[1]]
    rows = [dict(zip(header, r, strict=True)) for r in kpi.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 25
    line = next(r for r in rows if r["KPI"] == "LINE友だち数")
    assert (line["現状値"], line["単位"], line["現状値（原文）"]) == (569, "人", "569人")
    assert "令和11年度" in line["目標値（原文）"] and line["最終目標値"] == 4900
    assert line["進み具合"] == "データなし" and line["実績値（出典・時点）"] is None


def test_csv_has_bom_and_every_kpi(demo_with_plans, client: Client) -> None:
    response = client.get(reverse("plans:export", args=["oe", "oe-dx", "csv"]))
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["番号", "項目", "KPI"] and len(rows) == 26


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_plan_file_download_is_the_file(demo_with_plans, client: Client, fmt: str) -> None:
    response = client.get(reverse("plans:export", args=["oe", "oe-dx", fmt]))
    data = yaml.safe_load(response.content.decode("utf-8"))  # JSON is YAML
    assert canonical(PlanFile.model_validate(data)) == canonical(read(OE)[0])


def test_unknown_export_format_is_404(demo_with_plans, client: Client) -> None:
    assert client.get("/m/oe/plans/oe-dx/export.pdfx").status_code == 404


@pytest.mark.pdf
def test_pdf_has_selectable_japanese_text(demo_with_plans, client: Client, tmp_path: Path) -> None:
    response = client.get(reverse("plans:export", args=["oe", "oe-dx", "pdf"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "oe.pdf"
    path.write_bytes(response.content)
    command = ["pdftotext", "-layout", str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert "大江町DX推進計画" in text
    assert "工程表" in text and "令和6年度" in text and "令和11年度" in text
    assert "LINE友だち数" in text and "569人" in text
    assert "(1)-2-2" in text
