"""The procedure file a first run imports (``yakusho setup --procedures``; see ``core.setup_files``)."""

from __future__ import annotations

from yakusho.core.setup_files import SetupFileInvalid, setup_files


def import_procedure_file(path: str) -> str:
    from yakusho.procedures.catalogue.files import ProcedureFileInvalid, import_file

    try:
        result = import_file(path)
    except ProcedureFileInvalid as exc:
        raise SetupFileInvalid([str(e) for e in exc.errors]) from None
    return f"手続：{result}"


setup_files.register(
    "procedures",
    label="手続ファイル",
    owner_key="municipality",
    owner=lambda m: m.slug,
    run=import_procedure_file,
)
