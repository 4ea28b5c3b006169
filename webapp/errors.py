"""One JSON error shape for the whole API: {"error": {"status", "code", "message"}}."""
from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from kb.errors import KBError


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"status": status, "code": code, "message": message}})
    response.status_code = status
    return response


def register(app):
    @app.errorhandler(KBError)
    def kb_error(exc: KBError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not request.path.startswith("/api/") and exc.code == 404:
            return exc  # pages keep the ordinary not-found page
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "something went wrong on our side; it has been logged")
