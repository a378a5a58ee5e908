"""Where a request may send the reviewer next (the login's `?next=`, a review form's `next`):
a path on this site, never another site, however the address is dressed up."""
from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import url_for

INVISIBLE = frozenset({"Cc", "Cf"})
"""Unicode categories of control and format characters (tab, newline, NUL, zero-width
space, right-to-left override, ...), which a browser drops or cannot show in an address."""


def same_site_path(target: str | None) -> str:
    """`target` when it is a path on this site, else the runs page.

    Browsers drop tabs and newlines anywhere in an address and trim control characters and
    spaces around it, so `/<tab>/evil.com` is `//evil.com` to them: another host. Those
    characters are removed first; what is left must be a bare path: starting with one `/`,
    with no backslash (browsers read it as `/`), no scheme and no host. (Spaces and other
    characters inside it are percent-encoded by werkzeug, as in every Location header.)"""
    cleaned = "".join(c for c in target or "" if unicodedata.category(c) not in INVISIBLE).strip()
    return cleaned if _is_bare_path(cleaned) else url_for("runs.index")


def _is_bare_path(target: str) -> bool:
    # `//host` is another host; so is `/\host`: browsers read a backslash as a slash.
    if target.startswith("//") or "\\" in target:
        return False
    try:
        parts = urlsplit(target)
    except ValueError:  # a host urllib cannot parse, such as "http://[x"
        return False
    return not parts.scheme and not parts.netloc and parts.path.startswith("/")
