"""The one way a view reaches the product: the `Services` the app was created with."""
from __future__ import annotations

from flask import current_app

from kb.app.services import Services


def services() -> Services:
    return current_app.extensions["kb"]
