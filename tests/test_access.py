"""Who gets in where: every route of the app, every method, every role.

EXPECTED names each endpoint with the roles that may use it. A route added without an entry here
fails `test_every_route_has_an_expected_rule`; a route whose rule in the app differs from its entry
fails the walk."""
from __future__ import annotations

import pytest
from conftest import STAFF_PASSWORD, add_staff, make_settings

ROLES = ("anonymous", "operator", "editor", "lead", "admin")
ANYONE = set(ROLES)
STAFF = {"operator", "editor", "lead", "admin"}
DESK = {"operator", "lead", "admin"}
LEADS = {"lead", "admin"}
EDITORS = {"editor", "admin"}
ADMINS = {"admin"}

PUBLIC = ("help.index", "help.search", "help.results", "help.topic", "help.ask",
          "articles.article", "articles.vote", "status.status", "status.add_details", "status.rate",
          "api.search.search", "api.search.article", "api.search.health", "api.document.openapi", "api.document.docs",
          "api.tickets.create", "api.tickets.status", "api.tickets.add_details", "api.tickets.rate",
          "i18n.switch", "login.login", "static", "brand.logo", "brand.stylesheet", "brand.favicon")
EXPECTED = {
    **{endpoint: ANYONE for endpoint in PUBLIC},
    "login.logout": STAFF, "login.account": STAFF,
    "console.index": DESK, "console.results": DESK, "console.article": DESK, "console.customer": DESK,
    "console.register_call": DESK,
    "desk.queues": DESK, "desk.ticket": DESK, "desk.take": DESK, "desk.reply": DESK, "desk.solve": DESK,
    "desk.pass_on": DESK, "desk.find_article": DESK, "desk.reassign": LEADS,
    "lead.month": LEADS, "lead.month_csv": LEADS, "lead.now": LEADS,
    "lead.questions": LEADS, "lead.questions_csv": LEADS,
    "editor.gaps": EDITORS, "editor.suggestion": EDITORS, "editor.draft": EDITORS,
    "editor.add": EDITORS, "editor.dismiss": EDITORS,
    "admin.operators": ADMINS, "admin.add_operator": ADMINS, "admin.operator": ADMINS,
    "admin.tokens": ADMINS, "admin.create_token": ADMINS, "admin.revoke_token": ADMINS,
}


@pytest.fixture
def walk_app(sample_index, tmp_path):
    """The app over the sample index, with a ticket, an API token and an operator to act on.
    CSRF is off here so that a post reaches the role check (tests/test_logins.py checks CSRF)."""
    from kb.desk.tokens import create_token
    from webapp import create_app

    settings = make_settings(index_dir=sample_index, database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
                             auto_assign=False)
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
    services = app.extensions["kb"]
    for role in ROLES[1:]:
        add_staff(app, role, role, tier=3 if role != "operator" else 1)
    add_staff(app, "target")  # the one the admin pages act on
    ticket = services.desk.create_ticket("Where is my parcel?", email="walk@example.com")
    create_token(services.database, "walk", "operator")
    app.config["WALK_VALUES"] = {"number": ticket["number"], "token": ticket["token"], "article_id": "cancel-order",
                                 "login": "target", "token_id": 1, "tag": "orders", "code": "ru",
                                 "filename": "site.css", "table": "days"}
    return app


def _client(app, role):
    client = app.test_client()
    if role != "anonymous":
        answer = client.post("/login", data={"login": role, "password": STAFF_PASSWORD})
        assert answer.status_code == 303
    return client


def _url(rule, values) -> str:
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


def _got_in(response) -> bool:
    if response.status_code in (401, 403):
        return False
    location = response.headers.get("Location", "")
    return not (response.status_code in (302, 303) and "/login" in location and "next=" in location)


def test_every_route_has_an_expected_rule(walk_app):
    endpoints = {rule.endpoint for rule in walk_app.url_map.iter_rules()}
    assert endpoints - EXPECTED.keys() == set(), "new routes: say who may use them in EXPECTED"
    assert EXPECTED.keys() - endpoints == set(), "EXPECTED names routes that are gone"


def test_every_route_checks_the_role(walk_app):
    from webapp.core.auth import rule_of

    values = walk_app.config["WALK_VALUES"]
    clients = {role: _client(walk_app, role) for role in ROLES}
    wrong = []
    for rule in sorted(walk_app.url_map.iter_rules(), key=lambda r: r.endpoint):
        assert rule_of(walk_app, rule.endpoint) == EXPECTED[rule.endpoint], rule.endpoint
        url = _url(rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                if rule.endpoint == "login.logout":
                    clients[role] = _client(walk_app, role)  # the walk signs them out: sign in again
                response = clients[role].open(url, method=method, data={} if method == "POST" else None)
                assert response.status_code < 500, (role, method, url, response.status_code)
                if _got_in(response) != (role in EXPECTED[rule.endpoint]):
                    wrong.append((role, method, url, response.status_code))
                if rule.endpoint == "login.logout":
                    clients[role] = _client(walk_app, role)
    assert wrong == []


def test_anonymous_is_sent_to_the_login_page_and_staff_are_refused_with_the_error_page(walk_app):
    anonymous = walk_app.test_client()
    answer = anonymous.get("/desk")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=/desk")
    editor = _client(walk_app, "editor")
    refused = editor.get("/console", headers={"Accept-Language": "en"})
    assert refused.status_code == 403
    assert "Not allowed" in refused.get_data(as_text=True)
    operator = _client(walk_app, "operator")
    assert operator.get("/lead/now").status_code == 403
    assert operator.get("/admin/operators").status_code == 403


def test_a_route_without_a_rule_is_refused(walk_app):
    walk_app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    for role in ROLES:
        assert _client(walk_app, role).get("/forgotten").status_code in (303, 403)
