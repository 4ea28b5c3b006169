"""A customer's request is reached by the token of its status link, on the status page
(webapp.public.status) and in the API (webapp.api.tickets) alike."""
from __future__ import annotations

from kb.desk.records import checked_token


def check_token(endpoint, values) -> None:
    """A `url_value_preprocessor`: a token that cannot be one (the desk's own check: a NUL, a lone
    surrogate, a slash) is a 404 before any view runs."""
    token = (values or {}).get("token")
    if token is not None:
        checked_token(token)
