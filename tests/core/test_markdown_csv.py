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


def test_markdown_kept_rendered_follows_the_language_and_the_text() -> None:
    from django.utils import translation

    table = "| 手続 | 手数料 |\n|---|---|\n| 住民票 | 300円 |"
    with translation.override("ja"):
        japanese = render_markdown(table)
    with translation.override("en"):
        english = render_markdown(table)
    with translation.override("ja"):
        again = render_markdown(table)
        changed = render_markdown(table.replace("300円", "350円"))
    assert 'aria-label="表"' in japanese and 'aria-label="Table"' in english
    assert again == japanese
    assert "350円" in changed and "300円" not in changed
    long_text = "長い説明。" * 1000  # past the kept length: rendered every time, still right
    assert render_markdown(long_text).startswith("<p>長い説明。")
