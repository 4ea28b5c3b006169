"""The shop's name, logo and accent colour on every page (KB_BRAND_NAME, KB_BRAND_LOGO, KB_BRAND_COLOR),
and the favicon, public and staff pages alike."""
from __future__ import annotations

import re

import pytest
from conftest import fake_embed, make_settings

from kb.config import SettingsError, load_settings

LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><script>alert(1)</script>'
        '<circle cx="20" cy="20" r="16" fill="#e4572e"/></svg>')


def brand_app(tmp_path, **values):
    from kb.app.services import Services
    from webapp import create_app

    settings = make_settings(index_dir=tmp_path / "no-index", database_url=f"sqlite:///{tmp_path / 'kb.sqlite'}",
                             **values)
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test"},
                      services=Services(settings, duplicate_embed=fake_embed))


@pytest.fixture
def logo(tmp_path):
    path = tmp_path / "romashka.svg"
    path.write_text(LOGO, encoding="utf-8")
    return path


PAGES = ("/ask", "/login", "/no-such-page", "/tickets/" + "a" * 32)


def test_without_settings_the_pages_say_help_centre_and_carry_the_favicon(tmp_path):
    client = brand_app(tmp_path).test_client()
    for path in PAGES:
        for lang, name in (("en", "Help centre"), ("ru", "Справочный центр")):
            html = client.get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
            assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html, path
            assert "/brand.css" not in html and "/brand/logo" not in html
            if path != "/login":
                assert f"<span>{name}</span></a>" in html and re.search(f"<title>[^<]*· {name}</title>", html)
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon.headers["Location"] == "/static/favicon.svg"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get("/brand/logo").status_code == 404


def test_the_shops_name_logo_and_colour_are_on_every_page(tmp_path, logo):
    client = brand_app(tmp_path, brand_name="Ромашка", brand_logo=logo, brand_color="#E4572E").test_client()
    for path in PAGES:
        html = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        logo_url = re.search(r'<img class="logo" src="(/brand/logo\?v=\w+)" alt="">', html).group(1)
        css_url = re.search(r'<link rel="stylesheet" href="(/brand.css\?v=\w+)">', html).group(1)
        assert "Ромашка" in re.search(r"<title>([^<]*)</title>", html).group(1)
        assert "Help centre" not in html.split("</header>")[0]
    served = client.get(logo_url)
    assert served.data == logo.read_bytes() and served.mimetype == "image/svg+xml"
    # Opened on its own the SVG is a document of this site: nothing in it may run.
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(logo_url, headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
    css = client.get(css_url)
    assert css.mimetype == "text/css" and "--brand: #e4572e" in css.get_data(as_text=True)


@pytest.mark.parametrize("colour", ["#ffd23f", "#e4572e", "#00ff00", "#ffffff", "#2f5f8f", "#000000"])
def test_the_accent_keeps_text_readable_whatever_the_colour(colour):
    from webapp.core.brand import contrast_with_white, palette

    colours = palette(colour)
    assert colours["brand"] == colour
    assert contrast_with_white(colours["accent"]) >= 4.5
    assert contrast_with_white(colours["accent-dark"]) >= contrast_with_white(colours["accent"])
    if contrast_with_white(colour) >= 4.5:
        assert colours["accent"] == colour  # a dark enough colour is used as given


def test_brand_settings_are_checked_at_start(tmp_path, logo):
    assert load_settings({"KB_BRAND_COLOR": "#ABC"}).brand_color == "#aabbcc"
    assert load_settings({"KB_BRAND_LOGO": str(logo), "KB_BRAND_NAME": "  Ромашка  "}).brand_name == "Ромашка"
    script = tmp_path / "logo.html"
    script.write_text("<script>", encoding="utf-8")
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\x89PNG" + b"0" * 600_000)
    with pytest.raises(SettingsError) as refused:
        load_settings({"KB_BRAND_COLOR": "red; } body { display: none", "KB_BRAND_LOGO": str(script)})
    assert "KB_BRAND_COLOR: write the colour like #2f5f8f" in str(refused.value)
    assert "KB_BRAND_LOGO: the logo must be a" in str(refused.value)
    for path, says in ((tmp_path / "missing.svg", "no logo file"), (huge, "the logo file is over 512 kB")):
        with pytest.raises(SettingsError, match=f"KB_BRAND_LOGO: {says}"):
            load_settings({"KB_BRAND_LOGO": str(path)})
    with pytest.raises(SettingsError, match="KB_BRAND_NAME"):
        load_settings({"KB_BRAND_NAME": "two\nlines"})
