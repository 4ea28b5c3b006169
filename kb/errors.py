"""Errors a user can fix; the CLI prints them and the API turns them into one JSON shape."""


class KBError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class QueryError(KBError):
    code = "invalid_query"


class NotFound(KBError):
    status = 404
    code = "not_found"


class IndexMissing(KBError):
    status = 503
    code = "index_missing"


class IndexBroken(IndexMissing):
    """The build `current` points at does not load (a truncated, missing or foreign file). A kind of
    IndexMissing: whatever works without an index works without this one."""

    code = "index_broken"


class InvalidInput(KBError):
    code = "invalid_input"


class Conflict(KBError):
    """Someone else changed the thing first (two operators taking one ticket, say)."""

    status = 409
    code = "conflict"


class NotAllowed(KBError):
    status = 403
    code = "not_allowed"


class Unauthorized(KBError):
    """No login, or an API token that is not valid (any more)."""

    status = 401
    code = "unauthorized"


class Unavailable(KBError):
    """A part the request needs (the ticket database) cannot be reached now; trying again later works."""

    status = 503
    code = "unavailable"
