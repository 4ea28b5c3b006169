"""Where a `next` parameter may send a visitor back to: a path on this site, short enough for a
`Location` header. The one check for every redirect that takes its target from the request (the
language switch, the login page, the redirect to the login page)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

# A Location header over a few kB is refused by proxies and browsers alike; a real page's path and
# query are far shorter, so a longer one is dropped rather than carried around.
MAX_TARGET = 2048
# A control character (a newline, say) cannot go into a header at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another host: no open redirect) that fits in a
    header, else None."""
    if not target or len(target) > MAX_TARGET or _CONTROL.search(target):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
