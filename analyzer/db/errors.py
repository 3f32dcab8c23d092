"""Errors of the database half and URL redaction: the only place passwords are handled.

A database URL is split once, by `split_url`, into its scheme, user, password and the rest; the
engine connects from those parts (the password handed to the driver as a value, never re-parsed) and
every message shows `redact(url)`, made from the same parts. Users paste passwords unencoded, so the
password is everything between the first ':' of the userinfo and the LAST '@' before the host: a raw
'/', '#', '?' or '@' in it stays in it (SQLAlchemy's own parser stops at the first '@' and then takes
the rest of the password for the host name, which drivers echo back in their errors).

Passwords seen by `split_url` are remembered for the process, and `scrub_secrets` removes them from
any text as a last line of defence (every `DatabaseError` message and the CLI's error line go through it).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote

MASK = "***"

#: passwords seen in database URLs during this process (raw, decoded and encoded spellings)
_SECRETS: set[str] = set()
#: shorter secrets are not scrubbed from free text: it would mangle every message and hide nothing
_MIN_SCRUB = 3


class DatabaseError(Exception):
    """The database is unreachable, refused us, or the URL cannot be used (exit 3, one line).

    The message never contains a password: build it with `redact()`; known secrets are scrubbed here too.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(scrub_secrets(message))


class UnknownTarget(ValueError):
    """A --target table or column is not in the schema (exit 2); the message names the closest ones."""


_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")
_QUERY_PASSWORD = re.compile(r"(?i)(password=)[^&;\s]*")


@dataclass(frozen=True)
class UrlParts:
    """A database URL split the forgiving way. `username`/`password` are as typed (maybe %-encoded)."""

    scheme: str
    username: str | None
    password: str | None
    rest: str  # host[:port][/database][?query], as typed

    @property
    def redacted(self) -> str:
        userinfo = ""
        if self.username is not None:
            userinfo = self.username + (f":{MASK}" if self.password is not None else "") + "@"
        return _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", f"{self.scheme}://{userinfo}{self.rest}")


def split_url(url: str) -> UrlParts | None:
    """`scheme://user:password@host:port/db?query` split, or None when `url` has no `scheme://`.

    With a password (a ':' in a userinfo whose name holds no '/', '?', '#' or '@'), the userinfo ends
    at the LAST '@' of the URL: a raw '@', '/', '?' or '#' in a password is common, and hiding too
    much is the safe way to be wrong (an '@' in a query value of a URL without a user must then be
    written %40). Otherwise RFC 3986: the userinfo is what precedes the last '@' of the authority, so
    an '@' in a SQLite path or a query is not taken for one.
    """
    m = _SCHEME.match(url)
    if m is None:
        return None
    scheme, after = m.group("scheme"), url[m.end():]
    if after.startswith("/"):  # sqlite:///path: no authority at all
        return UrlParts(scheme, None, None, after)
    colon, last_at = after.find(":"), after.rfind("@")
    if 0 <= colon < last_at and not any(c in after[:colon] for c in "/?#@"):
        return _remembered(UrlParts(scheme, after[:colon], after[colon + 1:last_at], after[last_at + 1:]))
    authority_end = min((i for i in (after.find(c) for c in "/?#") if i >= 0), default=len(after))
    at = after.rfind("@", 0, authority_end)
    if at < 0:
        return UrlParts(scheme, None, None, after)
    return UrlParts(scheme, after[:at], None, after[at + 1:])


def _remembered(parts: UrlParts) -> UrlParts:
    if parts.password:
        _remember(parts.password)
    return parts


def _remember(secret: str) -> None:
    plain = unquote(secret)
    _SECRETS.update({secret, plain, quote(plain, safe=""), quote(plain, safe="!$&'()*+,;=")})


def query_passwords(url: str) -> list[str]:
    """`password=` values of the query string (libpq lets the password ride there too)."""
    _, _, query = url.partition("?")
    return [v for k, v in parse_qsl(query.partition("#")[0], keep_blank_values=True) if k.lower() == "password"]


def redact(url: str) -> str:
    """`postgresql://u:s/e#c?r@t@h/db` -> `postgresql://u:***@h/db`; a URL without a password unchanged
    (but for a `password=` query value)."""
    for secret in query_passwords(url):
        _remember(secret)
    parts = split_url(url)
    if parts is None:
        return _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", url)
    return parts.redacted


def scrub(message: str, url: str) -> str:
    """Remove the password of `url` from any text (driver messages sometimes echo the DSN)."""
    text = message.replace(url, redact(url))  # redact() also remembers the URL's secrets
    return scrub_secrets(_QUERY_PASSWORD.sub(rf"\g<1>{MASK}", text))


def scrub_secrets(text: str) -> str:
    """Every password seen in a database URL during this process, masked out of `text`."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if len(secret) >= _MIN_SCRUB and secret in text:
            text = text.replace(secret, MASK)
    return text


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    pool = list(candidates)
    found = difflib.get_close_matches(name, pool, n=n, cutoff=0.5)
    if not found:
        found = [c for c in pool if name.lower() in c.lower() or c.lower() in name.lower()][:n]
    return found
