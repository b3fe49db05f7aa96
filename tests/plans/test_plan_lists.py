"""Figures and lists of a plan (issue 17): the plan-file blocks ``figures`` and ``lists`` (edition level
and on a node), their round trip, refused input with the line it concerns, the public pages (accessible
tables, images with alternative text or the text in a box), the downloads (CSV and Excel, neutralised)
and the 大江町 lists transcribed from the seed."""

from __future__ import annotations

import csv
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.plans.helpers import load
from yakusho.core.datafiles import DataFile
from yakusho.plans.demo.synthetic import generate
from yakusho.plans.models import Plan, PlanEdition, PlanFigure, PlanList
from yakusho.plans.planfile.export import dump_yaml, export_edition
from yakusho.plans.planfile.files import (
    PlanFileInvalid,
    canonical,
    read,
    validate_semantics,
    validate_structure,
)
from yakusho.plans.planfile.importer import import_file
from yakusho.plans.planfile.schema import PlanFile

pytestmark = pytest.mark.django_db


def png() -> bytes:
    """A 1×1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def small(key: str = "test", **overrides: Any) -> dict[str, Any]:
    data = generate("063240", nodes=6, kpis=3, years=3, first_year=2024, levels=2, seed=3, key=key)
    data.update(overrides)
    return data


def with_blocks(data: dict[str, Any]) -> dict[str, Any]:
    """Figures and lists at the edition level and on a node, one figure of each image kind and none."""
    data["figures"] = [
        {
            "key": "governance",
            "caption": "推進体制図",
            "alt": "推進本部の下にプロジェクトチームとワーキンググループが置かれる図。",
            "source": "1-2 推進体制",
        },
        {"key": "map", "alt": "町内の公共施設の地図。", "file": "images/map.png"},
    ]
    data["lists"] = [
        {
            "key": "systems",
            "title": "標準準拠システムへ移行する業務",
            "columns": ["業務"],
            "rows": [["①住民基本台帳"], ["②選挙人名簿管理"]],
            "note": "計2業務",
            "source": "(2)-1-1",
        }
    ]
    node = data["nodes"][1]
    node["figures"] = [
        {"key": "flow", "caption": "手続きの流れ", "alt": "申請から交付までの3段階。", "file": "flow.svg"}
    ]
    node["lists"] = [
        {
            "key": "cashless",
            "title": "キャッシュレス決済対応一覧",
            "columns": ["担当課", "項目", "対応"],
            "rows": [
                ["税務町民課", "町県民税", "○"],
                ["建設水道課", "水道使用料", "×"],
                ["教育文化課", "", "×"],
            ],
        }
    ]
    return data


def write(tmp_path: Path, data: dict[str, Any], name: str = "test-2024.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    (tmp_path / "images").mkdir(exist_ok=True)
    (tmp_path / "images" / "map.png").write_bytes(png())
    (tmp_path / "flow.svg").write_text(SVG, "utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(PlanFileInvalid) as info:
        import_file(path)
    return [str(e) for e in info.value.errors]


def line_of(path: Path, text: str, after: int = 0) -> int:
    return next(
        i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if i > after and text in line
    )


def nothing_imported() -> bool:
    return not (
        Plan.objects.exists()
        or PlanEdition.objects.exists()
        or PlanFigure.objects.exists()
        or PlanList.objects.exists()
    )


# --- the plan file --------------------------------------------------------------------------------


def test_figures_and_lists_round_trip(demo, tmp_path: Path) -> None:
    path = write(tmp_path, with_blocks(small()))
    result = import_file(path)
    edition = result.edition
    assert result.counts["figures"] == 3 and result.counts["lists"] == 2
    systems = PlanList.objects.get(edition=edition, key="systems")
    assert systems.node is None and systems.columns == ["業務"] and systems.rows[1] == ["②選挙人名簿管理"]
    cashless = PlanList.objects.get(edition=edition, key="cashless")
    assert (
        cashless.node is not None
        and cashless.node.key == "n2-0"
        and cashless.rows[2] == ["教育文化課", "", "×"]
    )
    governance = PlanFigure.objects.get(edition=edition, key="governance")
    assert not governance.image and governance.caption == "推進体制図" and governance.source == "1-2 推進体制"
    stored = PlanFigure.objects.get(edition=edition, key="map")
    assert str(stored.image.name).endswith(".png") and stored.image.read() == png()
    flow = PlanFigure.objects.get(edition=edition, key="flow")
    assert flow.node is not None and flow.node.key == "n2-0" and str(flow.image.name).endswith(".svg")

    exported = export_edition(edition)
    assert canonical(PlanFile.model_validate(exported)) == canonical(read(path)[0])
    assert exported["lists"][0]["rows"] == [["①住民基本台帳"], ["②選挙人名簿管理"]]
    assert exported["nodes"][1]["figures"][0] == {
        "key": "flow",
        "caption": "手続きの流れ",
        "alt": "申請から交付までの3段階。",
    }
    # the export reads back as a plan file of its own (images stay with the stored figures)
    again = tmp_path / "again" / "test-2024.yaml"
    again.parent.mkdir()
    again.write_text(dump_yaml(exported), "utf-8")
    assert canonical(read(again)[0]) == canonical(read(path)[0])


def test_the_same_file_twice_is_a_no_op_and_a_changed_image_is_a_change(demo, tmp_path: Path) -> None:
    path = write(tmp_path, with_blocks(small()))
    import_file(path)
    assert not import_file(path).created
    (tmp_path / "images" / "map.png").write_bytes(png() + b"\x00")  # other bytes, still a PNG
    [message] = errors_of(path)
    assert "すでに取り込まれていて、内容が異なります" in message
    assert PlanFigure.objects.count() == 3


def test_a_figure_without_alternative_text_is_refused(demo, tmp_path: Path) -> None:
    data = with_blocks(small())
    del data["figures"][0]["alt"]
    data["nodes"][1]["figures"][0]["alt"] = "   "
    path = write(tmp_path, data)
    messages = errors_of(path)
    blank = line_of(path, "alt: '   '")
    assert messages == [
        f"test-2024.yaml:{line_of(path, 'key: governance')} figures[0].alt: "
        "図には代替テキスト（alt）が必要です。図が示す内容を言葉で書いてください"
        " (a figure needs its alternative text (alt): say in words what it shows)",
        f"test-2024.yaml:{blank} nodes[1].figures[0].alt: "
        "図には代替テキスト（alt）が必要です。図が示す内容を言葉で書いてください"
        " (a figure needs its alternative text (alt): say in words what it shows)",
    ]
    assert nothing_imported()


def test_a_row_of_the_wrong_length_is_refused_naming_the_row(demo, tmp_path: Path) -> None:
    data = with_blocks(small())
    data["nodes"][1]["lists"][0]["rows"][1] = ["建設水道課", "水道使用料"]
    path = write(tmp_path, data)
    [message] = errors_of(path)
    line = line_of(path, "- 水道使用料") - 1  # the row's first cell is on the line of its dash
    assert message == (
        f"test-2024.yaml:{line} nodes[1].lists[0].rows[1]: "
        "2行目のセルが2個あります。列（columns）の3個に合わせてください"
        " (row 2 has 2 cells; the list has 3 columns)"
    )
    assert nothing_imported()


def test_keys_are_unique_across_the_edition(demo, tmp_path: Path) -> None:
    data = with_blocks(small())
    data["nodes"][1]["figures"][0]["key"] = "governance"
    data["nodes"][1]["lists"][0]["key"] = "systems"
    messages = errors_of(write(tmp_path, data))
    assert [m.split(" ", 1)[1] for m in messages] == [
        "nodes[1].figures[0].key: 図のキー governance が重複しています (duplicate key)",
        "nodes[1].lists[0].key: 一覧表のキー systems が重複しています (duplicate key)",
    ]
    assert nothing_imported()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("images/map.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "中身がPNGのファイルではありません"),
        ("map.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "PNG・JPEG・SVG のファイルにしてください"),
        ("../outside.png", None, "相対パスで指定してください"),
        ("/etc/passwd", None, "相対パスで指定してください"),
        ("images/missing.png", None, "画像ファイル images/missing.png が見つかりません"),
        (
            "bad.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "script 要素",
        ),
        ("bad.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "イベント属性 onload"),
        ("bad.svg", b'<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>', "DOCTYPE"),
        ("bad.svg", b"<html><body/></html>", "最上位の要素が svg ではありません"),
    ],
)
def test_image_files_are_checked_by_content(
    demo, tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    data = with_blocks(small())
    data["figures"][1]["file"] = name
    path = write(tmp_path, data)
    if content is not None:
        target = tmp_path / name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(content)
    (tmp_path.parent / "outside.png").write_bytes(png())
    [message] = errors_of(path)
    assert message.startswith(f"test-2024.yaml:{line_of(path, 'file: ' + name)} figures[1].file: ")
    assert expected in message
    assert nothing_imported()


def test_the_images_of_one_file_are_limited_together(demo, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("yakusho.plans.planfile.files.MAX_TOTAL_IMAGE_BYTES", len(png()) + 10)
    path = write(tmp_path, with_blocks(small()))
    [message] = errors_of(path)
    assert message.startswith(f"test-2024.yaml:{line_of(path, 'file: flow.svg')} nodes[1].figures[0].file: ")
    assert "画像ファイルの合計が大きすぎます" in message
    assert nothing_imported()


def test_image_files_only_from_disk(demo) -> None:
    """A plan file that did not come from a folder on disk (an upload, say) names no image files."""
    data = with_blocks(small())
    parsed = DataFile.read(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "upload.yaml")
    plan = validate_structure(parsed)
    with pytest.raises(PlanFileInvalid) as info:
        validate_semantics(plan, parsed)
    messages = [str(e) for e in info.value.errors]
    assert len(messages) == 2 and all(
        "画像ファイルは、コマンド（yakusho import-plan）でディスクから取り込むときだけ指定できます" in m
        for m in messages
    )
    assert "figures[1].file" in messages[0] and "nodes[1].figures[0].file" in messages[1]


# --- the pages --------------------------------------------------------------------------------------


@pytest.fixture
def town(demo, tmp_path: Path) -> PlanEdition:
    data = with_blocks(small())
    data["nodes"][1]["lists"][0]["rows"].append(['=HYPERLINK("http://evil","x")', "+1", "@SUM(A1)"])
    return import_file(write(tmp_path, data)).edition


def test_node_page_shows_its_lists_as_tables_and_its_figures(town: PlanEdition, client: Client) -> None:
    response = client.get(reverse("plans:node", args=["oe", "test", "n2-0"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<caption>キャッシュレス決済対応一覧</caption>" in page
    assert '<th scope="col">担当課</th><th scope="col">項目</th><th scope="col">対応</th>' in page
    assert "<td>税務町民課</td><td>町県民税</td><td>○</td>" in page
    image = reverse("plans:figure_image", args=["oe", "test", "flow"])
    assert f'<img src="{image}" alt="申請から交付までの3段階。">' in page
    assert "<figcaption>手続きの流れ</figcaption>" in page
    csv_url = reverse("plans:list_download", args=["oe", "test", "cashless", "csv"])
    xlsx_url = reverse("plans:list_download", args=["oe", "test", "cashless", "xlsx"])
    assert f'href="{csv_url}"' in page and f'href="{xlsx_url}"' in page
    assert "標準準拠システムへ移行する業務" not in page  # the edition's own list is on the overview


def test_overview_shows_the_editions_figures_and_lists(town: PlanEdition, client: Client) -> None:
    page = client.get(reverse("plans:overview", args=["oe", "test"])).content.decode()
    assert "<caption>標準準拠システムへ移行する業務</caption>" in page and "<td>①住民基本台帳</td>" in page
    assert "注記：計2業務" in page and "出典：(2)-1-1" in page
    # a figure without an image: its alternative text in a box, saying the image is not registered
    assert "この図の画像は登録されていません。" in page
    assert "推進本部の下にプロジェクトチームとワーキンググループが置かれる図。" in page
    assert "<figcaption>推進体制図（出典：1-2 推進体制）</figcaption>" in page
    image = reverse("plans:figure_image", args=["oe", "test", "map"])
    assert f'<img src="{image}" alt="町内の公共施設の地図。">' in page
    assert "キャッシュレス決済対応一覧" not in page  # a node's list is on its node page


def test_figure_images_are_served_safely(town: PlanEdition, client: Client) -> None:
    response = client.get(reverse("plans:figure_image", args=["oe", "test", "flow"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content == SVG.encode()
    assert (
        "sandbox" in response["Content-Security-Policy"] and response["X-Content-Type-Options"] == "nosniff"
    )
    assert response["Cache-Control"].startswith("public")
    png_response = client.get(reverse("plans:figure_image", args=["oe", "test", "map"]))
    assert png_response["Content-Type"] == "image/png"
    for key in ("governance", "nothing"):  # no image registered; no such figure
        missing = client.get(reverse("plans:figure_image", args=["oe", "test", key]))
        assert missing.status_code == 404 and "ページが見つかりません" in missing.content.decode()


def test_downloads_neutralise_formulas(town: PlanEdition, client: Client) -> None:
    response = client.get(reverse("plans:list_download", args=["oe", "test", "cashless", "csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["担当課", "項目", "対応"]
    assert rows[1] == ["税務町民課", "町県民税", "○"]
    assert rows[-1] == ['\'=HYPERLINK("http://evil","x")', "'+1", "'@SUM(A1)"]

    response = client.get(reverse("plans:list_download", args=["oe", "test", "cashless", "xlsx"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["一覧表", "出典"]
    sheet = book["一覧表"]
    assert [c.value for c in sheet[1]] == ["担当課", "項目", "対応"]
    last = sheet[sheet.max_row]
    assert [c.value for c in last] == ['\'=HYPERLINK("http://evil","x")', "'+1", "'@SUM(A1)"]
    assert all(c.data_type == "s" for c in last)
    assert book["出典"]["B1"].value == "キャッシュレス決済対応一覧"


@pytest.mark.parametrize(
    "path",
    ["/m/oe/plans/test/lists/nothing.csv", "/m/oe/plans/test/lists/cashless.xlsx?edition=9.9"],
)
def test_a_bad_list_key_or_edition_gets_the_404_page(town: PlanEdition, client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and "ページが見つかりません" in response.content.decode()


def test_lists_of_an_unpublished_plan_are_not_public(town: PlanEdition, client: Client) -> None:
    Plan.objects.filter(key="test").update(published=False)
    assert (
        client.get(reverse("plans:list_download", args=["oe", "test", "cashless", "csv"])).status_code == 404
    )
    assert client.get(reverse("plans:figure_image", args=["oe", "test", "flow"])).status_code == 404


def test_node_page_query_count_does_not_grow_with_its_lists_and_figures(
    demo, client: Client, tmp_path: Path
) -> None:
    def plan(key: str, count: int) -> None:
        data = small(key)
        node = data["nodes"][1]
        node["figures"] = [{"key": f"f{i}", "alt": f"図{i}"} for i in range(count)]
        node["lists"] = [
            {"key": f"l{i}", "title": f"一覧{i}", "columns": ["a", "b"], "rows": [["1", "2"]] * 3}
            for i in range(count)
        ]
        data["figures"] = [{"key": f"g{i}", "alt": f"全体の図{i}"} for i in range(count)]
        data["lists"] = [{"key": f"m{i}", "title": f"全体の一覧{i}", "columns": ["a"]} for i in range(count)]
        import_file(write(tmp_path, data, f"{key}.yaml"))

    plan("few", 1)
    plan("many", 12)
    for page, args in (("node", ["n2-0"]), ("overview", [])):
        counts = []
        for key in ("few", "many"):
            url = reverse(f"plans:{page}", args=["oe", key, *args])
            client.get(url)  # warm caches
            caches["pages"].clear()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1], (page, counts)
    many = client.get(reverse("plans:node", args=["oe", "many", "n2-0"])).content.decode()
    assert many.count('class="plan-list"') == 12 and many.count('class="prose plan-figure"') == 12


# --- the 大江町 plan ------------------------------------------------------------------------------------


def test_oe_lists_are_transcribed_as_lists() -> None:
    """Counted by hand from seed 003 (L65–71, L77–86, L160–177, L403–410)."""
    plan = load("oe-2024.yaml")
    nodes = {n.code: n for n in plan.nodes}
    online, planned = nodes["(1)-1-1"].lists
    assert online.columns[0] == "担当課" and online.columns[-1] == "オンライン化済みの手続き"
    assert len(online.rows) == 28  # 「28手続き」
    assert sum(r[0] == "健康福祉課" for r in online.rows) == 26
    assert ["税務町民課", "被災者支援", "申請関係", "①罹（り）災証明書の発行申請"] in online.rows
    assert planned.columns == ["担当課", "今後オンライン化を検討する手続き"] and len(planned.rows) == 23
    assert ["地域振興課", "空き家バンク利用登録申請"] in planned.rows
    [cashless] = nodes["(1)-1-4"].lists
    assert cashless.title == "主な税金・手数料等に係るキャッシュレス決済対応一覧"
    assert cashless.columns == ["担当課", "項目", "キャッシュレス決済対応の有無"]
    assert [r[2] for r in cashless.rows].count("○") == 7 and [r[2] for r in cashless.rows].count("×") == 10
    [systems] = nodes["(2)-1-1"].lists
    assert len(systems.rows) == 17 and systems.rows[-1] == ["⑰印鑑登録"] and systems.note == "計17業務"
    # each list once: no longer repeated as a table in the node's texts
    for code in ("(1)-1-1", "(1)-1-4", "(2)-1-1"):
        assert "|---" not in nodes[code].current_state + nodes[code].actions


def test_governance_diagrams_are_figures_without_images() -> None:
    for name, caption in (
        ("itako-2023.yaml", "推進体制図"),
        ("murakami-2022-2.0.yaml", "図表 2.6-1 DX推進体制"),
        ("murakami-2022-2.3.yaml", "図表 2.6-1 DX推進体制"),
    ):
        [figure] = load(name).figures
        assert (figure.key, figure.caption, figure.file) == ("governance", caption, None), name
        assert "推進本部" in figure.alt and "推進体制" in figure.source, name
    assert not load("oe-2024.yaml").figures and not load("katagami-2026.yaml").figures


def test_oe_node_page_shows_the_cashless_list(demo_with_plans, client: Client) -> None:
    page = client.get(reverse("plans:node", args=["oe", "oe-dx", "g1-f1-m4"])).content.decode()
    assert "<caption>主な税金・手数料等に係るキャッシュレス決済対応一覧</caption>" in page
    assert page.count("<td>×</td>") == 10
    download = client.get(reverse("plans:list_download", args=["oe", "oe-dx", "cashless-fees", "csv"]))
    assert download.status_code == 200 and "体育センター施設使用料" in download.content.decode("utf-8-sig")
