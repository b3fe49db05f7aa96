"""What every operation of the JSON API shares, whichever app publishes it (``yakusho.api``): the
error body, the errors an operation documents, and the check that a path value could name
anything."""

from __future__ import annotations

import re
from typing import Annotated, Any

from ninja import Path, Schema


class ErrorOut(Schema):
    """An error: `detail` names it in English, "Not Found" (404), "Bad Request" (400) or, for a
    municipality whose service is suspended, "This municipality's service is suspended." (403)."""

    detail: str


BAD_REQUEST = "Django refused the query string: more parameters than it accepts (1000)."
SUSPENDED = "The municipality named in the request is suspended by the system operator (temporarily)."
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def could_name_something(*values: str | None) -> bool:
    """False when a value holds a control character: no URL name, key or edition number does, and
    PostgreSQL refuses NUL in text outright (the driver raises), so such a value must not reach a query."""
    return not any(value and CONTROL_CHARACTERS.search(value) for value in values)


TOO_MANY = "Too many requests from this address in the last minute; wait a minute and ask again."


def responses(
    ok: Any,
    *,
    not_found: str | None = None,
    query: bool = True,
    suspended: bool = True,
    limited: bool = False,
) -> dict[str, Any]:
    """An operation's ``response`` (200 and the errors it can answer) and ``openapi_extra`` (what each
    error means there). Only an operation with query parameters reads the query string, so only
    such an operation can meet Django's refusal of too many (400); an operation that names a
    municipality answers 403 while it is suspended (``yakusho.core.suspension``); a rate-limited one
    (``limited``) answers 429."""
    models: dict[int, Any] = {200: ok}
    described: dict[int, Any] = {}
    if suspended:
        models[403] = ErrorOut
        described[403] = {"description": SUSPENDED}
    if query:
        models[400] = ErrorOut
        described[400] = {"description": BAD_REQUEST}
    if not_found:
        models[404] = ErrorOut
        described[404] = {"description": not_found}
    if limited:
        models[429] = ErrorOut
        described[429] = {"description": TOO_MANY}
    return {"response": models, "openapi_extra": {"responses": described}}


#: a path parameter naming a municipality, with the demo's example
MunicipalitySlug = Annotated[str, Path(description="The municipality's URL name.", example="oe")]
