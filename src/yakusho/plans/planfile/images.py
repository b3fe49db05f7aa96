"""The image files of a plan file's figures (``figures[].file``): read from beside the plan file on
disk and checked by content — PNG or JPEG by their magic numbers (``core.uploads.sniff``), SVG as
XML whose root is ``<svg>``, without scripts, event handlers, external references or a DOCTYPE.

Only a plan file imported from disk (``yakusho import-plan``) may name image files; the path is
relative to the plan file and must stay inside its folder (no absolute path, no ``..``, no link
leading out of it).
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from yakusho.core.uploads import sniff

#: the largest figure image read, in bytes
MAX_IMAGE_BYTES = 5_000_000
#: the most image bytes one plan file may bring
MAX_TOTAL_IMAGE_BYTES = 50_000_000
#: extension → (kind, content type)
KINDS: dict[str, tuple[str, str]] = {
    ".png": ("png", "image/png"),
    ".jpg": ("jpeg", "image/jpeg"),
    ".jpeg": ("jpeg", "image/jpeg"),
    ".svg": ("svg", "image/svg+xml"),
}
#: kind → the extension it is stored under and served by
EXTENSIONS = {"png": "png", "jpeg": "jpg", "svg": "svg"}
KIND_LABELS = {"png": "PNG", "jpeg": "JPEG", "svg": "SVG"}
SVG_NS = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class FigureImage:
    data: bytes
    kind: str  # png, jpeg or svg
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.kind]


class ImageRefused(Exception):
    """An image file that cannot be used, with the fault in Japanese and English."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(en)
        self.ja, self.en = ja, en


def read_image(directory: Path, name: str) -> FigureImage:
    """The image ``name`` (relative to ``directory``), checked; :class:`ImageRefused` otherwise."""
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or re.match(r"^[A-Za-z]:", name):
        raise ImageRefused(
            "画像は、計画ファイルのあるフォルダの中のファイルを相対パスで指定してください",
            "name the image by a path relative to the plan file, inside its folder",
        )
    base = directory.resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base):
        raise ImageRefused(
            "画像は、計画ファイルのあるフォルダの中のファイルを相対パスで指定してください",
            "name the image by a path relative to the plan file, inside its folder",
        )
    kind, _type = KINDS.get(path.suffix.lower(), (None, None))
    if kind is None:
        raise ImageRefused(
            f"図の画像は PNG・JPEG・SVG のファイルにしてください（「{relative.name}」は使えません）",
            f"a figure's image must be a PNG, JPEG or SVG file ({relative.name} is not)",
        )
    try:
        if not path.is_file():
            raise ImageRefused(f"画像ファイル {name} が見つかりません", f"image file {name} not found")
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise ImageRefused(
                f"画像ファイルが大きすぎます（上限 {MAX_IMAGE_BYTES // 1_000_000} MB）",
                f"the image is too large (at most {MAX_IMAGE_BYTES // 1_000_000} MB)",
            )
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ImageRefused(
            f"画像ファイルを読めません: {reason}", f"cannot read the image: {reason}"
        ) from None
    if not data:
        raise ImageRefused(f"画像ファイル {name} は空です", f"image file {name} is empty")
    if kind == "svg":
        _check_svg(data)
    elif sniff(data[:8192]) != kind:
        raise ImageRefused(
            f"画像ファイル {relative.name} は、中身が{KIND_LABELS[kind]}のファイルではありません",
            f"the content of {relative.name} is not {KIND_LABELS[kind]}",
        )
    return FigureImage(data, kind, hashlib.sha256(data).hexdigest())


def _not_svg(reason_ja: str, reason_en: str) -> ImageRefused:
    return ImageRefused(
        f"SVG の画像として使えません（{reason_ja}）", f"not usable as an SVG image ({reason_en})"
    )


def _check_svg(data: bytes) -> None:
    """SVG text: UTF-8, XML with an ``<svg>`` root, nothing that runs or fetches."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise _not_svg("UTF-8 のテキストではありません", "not UTF-8 text") from None
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise _not_svg("DOCTYPE や ENTITY は使えません", "no DOCTYPE or ENTITY")
    try:
        # no DOCTYPE, so no entity to expand or fetch (checked above)
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError:
        raise _not_svg("XML として読み取れません", "not XML") from None
    if root.tag not in (f"{SVG_NS}svg", "svg"):
        raise _not_svg("最上位の要素が svg ではありません", "the root element is not svg")
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1].lower()
        if local in ("script", "foreignobject", "iframe", "embed", "object"):
            raise _not_svg(f"{local} 要素は使えません", f"no {local} element")
        for attribute, value in element.attrib.items():
            name = attribute.rsplit("}", 1)[-1].lower()
            if name.startswith("on"):
                raise _not_svg(f"イベント属性 {name} は使えません", f"no event attribute {name}")
            if name == "href" and not value.strip().startswith("#"):
                raise _not_svg("外部への参照（href）は使えません", "no external reference (href)")
