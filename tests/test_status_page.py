"""The customer's status page as it reads with JavaScript off: the link to keep written out whole, and
every time in the shop's time zone with the zone named (status.js rewrites them in the browser's)."""
from __future__ import annotations

import re

from conftest import fake_embed, make_settings


def shop_app(tmp_path, **values):
    from kb.app.services import Services
    from webapp import create_app

    tmp_path = tmp_path / str(len(list(tmp_path.iterdir())))  # a database of its own each time
    tmp_path.mkdir()
    settings = make_settings(index_dir=tmp_path / "no-index", database_url=f"sqlite:///{tmp_path / 'kb.sqlite'}",
                             **values)
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test"},
                      services=Services(settings, duplicate_embed=fake_embed))


def new_ticket_page(app, lang="en", **request):
    client = app.test_client()
    token = client.post("/api/v1/tickets", json={"question": "Where is my parcel?", "email": "ann@example.com"}) \
        .get_json()["status_url"].rsplit("/", 1)[-1]
    return token, client.get(f"/tickets/{token}?new=1", headers={"Accept-Language": lang}, **request) \
        .get_data(as_text=True)


def test_the_link_to_keep_is_written_out_whole_without_javascript(tmp_path):
    token, page = new_ticket_page(shop_app(tmp_path), base_url="https://help.shop.example")
    link = re.search(r'<p class="status-link"><a href="([^"]+)">([^<]+)</a>', page)
    assert link.group(1) == f"/tickets/{token}"
    assert link.group(2) == f"https://help.shop.example/tickets/{token}"
    # KB_PUBLIC_URL, when set, is the address written out whatever the request came to
    token, page = new_ticket_page(shop_app(tmp_path, public_url="https://help.example.com"),
                                  base_url="http://10.0.0.5:8000")
    assert f">https://help.example.com/tickets/{token}</a>" in page


def test_times_are_the_shops_and_say_which_zone(tmp_path):
    _token, page = new_ticket_page(shop_app(tmp_path, timezone="Europe/Moscow"))
    created = re.search(r'<dt>Created</dt><dd><time datetime="[^"]+">([^<]+)</time>', page).group(1)
    assert created.endswith(" +0300"), created
    _token, page = new_ticket_page(shop_app(tmp_path), lang="ru")
    created = re.search(r'<dt>Создан[^<]*</dt><dd><time datetime="[^"]+">([^<]+)</time>', page).group(1)
    assert created.endswith(" UTC"), created
