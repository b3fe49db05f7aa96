from yakusho.core.csvutil import csv_response
from yakusho.core.markdown import render_markdown


def test_markdown_keeps_structure() -> None:
    html = render_markdown(
        "# 目指す姿\n\n- 住民\n- 職員\n\n| 年度 | 目標 |\n|---|---|\n| R8 | 5回 |\n\n~~削除~~ **追加**"
    )
    assert "<h1>目指す姿</h1>" in html
    assert "<li>住民</li>" in html
    assert "<table>" in html and "<td>5回</td>" in html
    assert "<s>削除</s>" in html and "<strong>追加</strong>" in html


def test_markdown_is_sanitised() -> None:
    html = render_markdown(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html


def test_markdown_links_are_safe() -> None:
    html = render_markdown("[町](https://www.town.oe.yamagata.jp/)")
    assert 'href="https://www.town.oe.yamagata.jp/"' in html
    assert 'rel="noopener noreferrer"' in html


def test_csv_has_bom_and_japanese() -> None:
    response = csv_response("課一覧.csv", ["課名", "人数"], [["総務課", 3], ["市民課", None]])
    body = response.content
    assert body.startswith("\ufeff".encode())
    assert body.decode("utf-8-sig").splitlines() == ["課名,人数", "総務課,3", "市民課,"]
    assert "UTF-8''" in response["Content-Disposition"]
