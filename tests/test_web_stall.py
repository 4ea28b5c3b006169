"""One hostile request must not stall the server: a search sent meanwhile is answered at once."""
import json
import threading
import time
import urllib.error
import urllib.request

from conftest import fake_embed, make_settings


def _post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_search_stays_fast_while_a_hostile_email_is_being_checked(sample_index, searcher, tmp_path):
    from werkzeug.serving import make_server

    from kb.app.services import Services
    from webapp import create_app

    settings = make_settings(index_dir=sample_index, database_url=f"sqlite:///{tmp_path}/kb.sqlite")
    app = create_app(settings, services=Services(settings, duplicate_embed=fake_embed))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        urllib.request.urlopen(f"{base}/api/v1/search?q=warm+up", timeout=60).read()  # models loaded
        hostile = {}
        started = time.perf_counter()
        sender = threading.Thread(target=lambda: hostile.update(status=_post(
            f"{base}/api/v1/tickets", {"question": "hi", "email": "a@" + "." * 32000 + "@"}),
            seconds=time.perf_counter() - started))
        sender.start()
        time.sleep(0.05)  # the hostile request is in flight
        asked = time.perf_counter()
        with urllib.request.urlopen(f"{base}/api/v1/search?q=how+do+I+get+my+money+back", timeout=60) as answer:
            assert answer.status == 200
        search_seconds = time.perf_counter() - asked
        sender.join(60)
        assert hostile["status"] == 400 and hostile["seconds"] < 1.0, hostile
        assert search_seconds < 1.0, search_seconds
    finally:
        server.shutdown()
