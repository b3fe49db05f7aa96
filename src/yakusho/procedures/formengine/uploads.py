"""Uploads of form fields: the checks live in :mod:`yakusho.core.uploads`, shared with other apps."""

from yakusho.core.uploads import (
    KIND_LABELS,
    KINDS,
    FileInfo,
    UploadRefused,
    check_upload,
    is_file_info,
    kind_of_extension,
    read_head_and_digest,
    safe_name,
    size_text,
    sniff,
)

__all__ = [
    "KINDS",
    "KIND_LABELS",
    "FileInfo",
    "UploadRefused",
    "check_upload",
    "is_file_info",
    "kind_of_extension",
    "read_head_and_digest",
    "safe_name",
    "size_text",
    "sniff",
]
