"""Errors of the database half and URL redaction: the only place passwords are handled."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


class DatabaseError(Exception):
    """The database is unreachable, refused us, or the URL cannot be used (exit 3, one line).

    The message never contains a password: build it with `redact()`.
    """


class UnknownTarget(ValueError):
    """A --target table or column is not in the schema (exit 2); the message names the closest ones."""


_URL_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@]*):(?P<pw>[^@/?#]*)@")


def redact(url: str) -> str:
    """`postgresql://u:secret@h/db` -> `postgresql://u:***@h/db`; other URLs unchanged."""
    url = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}:***@", url, count=1)
    # password=... in a query string (libpq style)
    return re.sub(r"(?i)(password=)[^&;\s]*", r"\1***", url)


def scrub(message: str, url: str) -> str:
    """Remove the password of `url` from any text (driver messages sometimes echo the DSN)."""
    m = _URL_PASSWORD.match(url)
    text = message.replace(url, redact(url))
    if m and m.group("pw"):
        text = text.replace(m.group("pw"), "***")
    return redact(text)


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    pool = list(candidates)
    found = difflib.get_close_matches(name, pool, n=n, cutoff=0.5)
    if not found:
        found = [c for c in pool if name.lower() in c.lower() or c.lower() in name.lower()][:n]
    return found
