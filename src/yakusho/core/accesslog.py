"""The server's access log without secrets (``yakusho serve`` uses :class:`RedactingLogger`).

Some addresses must carry a secret because a mail carries them: the status page's ``?k=`` (照会キー;
the page takes it out of the address at once) and the tokens of the booking, counter-confirmation,
invitation and password-reset links. The access log writes each of these as ``[hidden]`` so that a log
file, a log collector or an operator's screen never holds what opens a resident's records.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

#: query parameters that hold a secret
SECRET_QUERY = frozenset({"k"})
#: path segments that hold a secret: the part in the second group is replaced
SECRET_PATHS = (
    re.compile(r"(/bookings/b/)([^/?#]+)"),
    re.compile(r"(/counter/confirm/)([^/?#]+)"),
    re.compile(r"(/staff/invite/)([^/?#]+)"),
    re.compile(r"(/staff/reset/[^/?#]+/)([^/?#]+)"),
)
HIDDEN = "[hidden]"
#: a secret query parameter's value: at the start of a query string or after ? & ;, up to the next
#: separator, space or quote (so it also finds one inside a log message)
_QUERY_SECRET = re.compile(r"(^|[?&;])(" + "|".join(sorted(SECRET_QUERY)) + r")=[^&;\s\"']*")


def redact_query(query: str) -> str:
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}={HIDDEN}", query) if query else query


def redact(text: str) -> str:
    """``text`` — an address (a path, with or without its query string) or a log message holding
    addresses — with every secret replaced."""
    for pattern in SECRET_PATHS:
        text = pattern.sub(lambda m: m.group(1) + HIDDEN, text)
    return redact_query(text)


class RedactSecrets(logging.Filter):
    """A logging filter for the application's own log (Django writes "Not Found: <path>" for every
    404): the same secrets replaced in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


class RedactingLogger(Logger):
    """gunicorn's logger, with secrets taken out of every atom of the access log that holds an
    address: the request line, the path, the query string, the referrer and their environ copies."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        if isinstance(atoms.get("r"), str):  # "GET /path?query HTTP/1.1"
            atoms["r"] = " ".join(
                redact(part) if part.startswith("/") else part for part in atoms["r"].split(" ")
            )
        for key in ("U", "f", "{raw_uri}e", "{path_info}e", "{http_referer}e", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        for key in ("q", "{query_string}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_query(atoms[key])
        return atoms
