"""Uploaded files: allowed kinds checked by extension *and* by content (forms, review evidence).

The content is sniffed with the ``filetype`` package (magic numbers, pure Python). A file named
``.pdf`` whose bytes are a PNG or a Windows executable is refused, and so is one whose extension is
not allowed even if its content would be.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any, TypedDict

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

#: kind → (extensions, MIME types that the sniffer may report for it)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pdf": ((".pdf",), ("application/pdf",)),
    "jpeg": ((".jpg", ".jpeg"), ("image/jpeg",)),
    "png": ((".png",), ("image/png", "image/apng")),
    "gif": ((".gif",), ("image/gif",)),
    "heic": ((".heic", ".heif"), ("image/heic", "image/heif")),
    "webp": ((".webp",), ("image/webp",)),
    "tiff": ((".tif", ".tiff"), ("image/tiff",)),
    "docx": ((".docx",), ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)),
    "xlsx": ((".xlsx",), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)),
    "pptx": ((".pptx",), ("application/vnd.openxmlformats-officedocument.presentationml.presentation",)),
    "doc": ((".doc",), ("application/msword",)),
    "xls": ((".xls",), ("application/vnd.ms-excel",)),
}
#: labels shown to residents
KIND_LABELS = {
    "pdf": "PDF",
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "heic": "HEIC",
    "webp": "WebP",
    "tiff": "TIFF",
    "docx": "Word (.docx)",
    "xlsx": "Excel (.xlsx)",
    "pptx": "PowerPoint (.pptx)",
    "doc": "Word (.doc)",
    "xls": "Excel (.xls)",
}
SNIFF_BYTES = 8192


class FileInfo(TypedDict):
    """What the engine keeps of an upload in ``Result.cleaned``; the caller stores the bytes."""

    upload: bool
    name: str
    size: int
    kind: str
    content_type: str
    sha256: str


def is_file_info(value: Any) -> bool:
    return isinstance(value, dict) and value.get("upload") is True and {"name", "size", "kind"} <= set(value)


def kind_of_extension(name: str) -> str | None:
    suffix = PurePath(name).suffix.lower()
    for kind, (extensions, _mimes) in KINDS.items():
        if suffix in extensions:
            return kind
    return None


def sniff(head: bytes) -> str | None:
    """The kind of file these first bytes belong to, among :data:`KINDS`, else None."""
    guessed = filetype.guess(head)
    if guessed is None:
        return None
    for kind, (_extensions, mimes) in KINDS.items():
        if guessed.mime in mimes:
            return kind
    return None


def safe_name(name: str) -> str:
    """The base name only, NFKC, without control or path characters, at most 120 characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKC", base)
    base = "".join(c for c in base if c.isprintable() and c not in '/\\:*?"<>|')
    stem, dot, ext = base.rpartition(".")
    if dot and len(ext) <= 10:
        return stem[: 120 - len(ext) - 1] + "." + ext if stem else "file." + ext
    return base[:120] or "file"


def read_head_and_digest(upload: UploadedFile) -> tuple[bytes, str, int]:
    """The first bytes (for sniffing), the SHA-256 and the size actually read."""
    digest = hashlib.sha256()
    head = b""
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return head, digest.hexdigest(), size


class UploadRefused(Exception):
    """An upload that is not accepted, with a Japanese message naming the field and the file."""


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def check_upload(upload: UploadedFile, label: str, accept: Iterable[str], max_size: int) -> FileInfo:
    """Check one uploaded file: an allowed extension, within ``max_size`` bytes, not empty, and
    content of the kind its extension says. Raises :class:`UploadRefused`."""
    accept = list(accept)
    file_name = safe_name(upload.name or "")
    kind = kind_of_extension(file_name)
    if kind not in accept:
        raise UploadRefused(
            _("「%(label)s」に添付できるのは %(kinds)s のファイルです（「%(name)s」は添付できません）。")
            % {"label": label, "kinds": ", ".join(KIND_LABELS[k] for k in accept), "name": file_name}
        )
    declared = upload.size or 0
    if declared > max_size:
        raise UploadRefused(_too_big(label, file_name, declared, max_size))
    head, digest, size = read_head_and_digest(upload)
    if size > max_size:
        raise UploadRefused(_too_big(label, file_name, size, max_size))
    if size == 0:
        raise UploadRefused(
            _("「%(label)s」のファイル「%(name)s」は空です。") % {"label": label, "name": file_name}
        )
    if sniff(head) != kind:
        raise UploadRefused(
            _("「%(label)s」のファイル「%(name)s」は、中身が%(kind)sのファイルではありません。")
            % {"label": label, "name": file_name, "kind": KIND_LABELS[kind]}
        )
    return FileInfo(
        upload=True, name=file_name, size=size, kind=kind, content_type=KINDS[kind][1][0], sha256=digest
    )


def _too_big(label: str, name: str, size: int, limit: int) -> str:
    return _("「%(label)s」のファイル「%(name)s」は大きすぎます（%(size)s、上限は%(max)s）。") % {
        "label": label,
        "name": name,
        "size": size_text(size),
        "max": size_text(limit),
    }
