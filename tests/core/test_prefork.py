"""What ``yakusho serve`` loads before its workers fork (core.prefork)."""

from __future__ import annotations

import gc
import mmap
import os
from pathlib import Path

import pytest
from django.template import engines

from yakusho.core import prefork

PACKAGE = Path(prefork.__file__).resolve().parents[1]


def test_every_shipped_template_is_found_and_compiles() -> None:
    names = prefork.template_names()
    ours = {
        path.relative_to(root).as_posix()
        for root in PACKAGE.glob("**/templates")
        for path in root.rglob("*.html")
    }
    assert ours, "the package ships templates"
    assert ours <= set(names)
    engine = engines["django"]
    for name in sorted(ours):
        engine.get_template(name)  # a syntax error in any template fails here, not in a worker


@pytest.mark.django_db
def test_prepare_loads_templates_urls_and_freezes_what_it_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    # the test's transaction must stay open: record that prepare closes the connections instead
    monkeypatch.setattr(prefork.connections, "close_all", lambda: closed.append(True))
    gc.unfreeze()
    try:
        loaded = prefork.prepare()
        # every one of ours and nearly all of the installed apps' (one of theirs is another engine's)
        assert loaded["templates"] >= len(prefork.template_names()) - 5
        assert loaded["url_patterns"] > 50
        assert loaded["yakusho.faq.search.warm_indexes"] == 0  # no municipality has an FAQ here
        assert closed == [True]  # no worker inherits the connection the FAQ's indexes used
        if Path("/proc/self/maps").exists():  # the analyser's dictionary, mapped read-only
            assert loaded["released_mapped_bytes"] > 50 * 2**20
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="glibc's mallopt: Linux only")
def test_malloc_arenas_are_capped_on_linux() -> None:
    assert prefork.limit_malloc_arenas() is True


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="glibc's malloc_trim: Linux only")
def test_the_heap_gives_back_what_a_build_freed() -> None:
    """Freed blocks of a large build leave the heap's pages resident until trimmed."""

    def resident_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    # 100,000 blocks of 1 kB at once (malloc's, not Python's small-object arenas); a few survive,
    # scattered through the heap, so it cannot simply shrink from its top
    blocks = [bytes(1000) + str(n).encode() for n in range(100_000)]
    kept = blocks[::64]
    del blocks
    before = resident_mb()
    assert prefork.trim_heap() is True
    assert resident_mb() < before - 60  # most of the 100 MB freed went back to the system
    assert len(kept) == 1563


def _resident_kb(path: Path) -> int:
    """How much of ``path``'s mappings this process has resident (kB, from /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:
            inside = len(fields) >= 6 and fields[-1] == str(path)
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="madvise and smaps: Linux only")
def test_read_only_mapped_files_are_let_go_and_still_read(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4096 * 8  # 8 MB
    path = tmp_path / "dictionary.dic"
    path.write_bytes(data)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert mapped[:] == data  # every page read: resident in this process
        assert _resident_kb(path) >= 8 * 1024 - 64
        assert prefork.release_mapped_files() >= len(data)
        assert _resident_kb(path) < 1024  # no longer held by this process
        assert mapped[:] == data  # read again from the page cache, unchanged
