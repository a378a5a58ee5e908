"""What workers typed is shown as text on every dashboard page: markup in messages, task
data and world data is escaped, and only http(s) image URLs become images."""
import re

import pytest

XSS = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">',
       '<a href="javascript:window.__pwned=1">click</a>']


@pytest.fixture
def hostile(handler):
    run_id = handler.log_new_run(1, "qa_data_collection", provider="local")
    handler.log_hit_status({"HIT": {"HITId": "H1", "HITStatus": "Assignable", "Expiration": 2e9}}, run_id)
    handler.log_worker_accept_assignment("W<b>1", "A1", "H1", run_id)
    handler.log_waiting("W<b>1", "A1")
    handler.log_start_task("W<b>1", "A1", "t_1", agent_id="Worker")
    for n, text in enumerate(XSS):
        handler.log_message(run_id, "t_1", "Worker", {"text": text, "task_data": {"note": text,
                            "image": "javascript:window.__pwned=1//x.png"}},
                            worker_id="W<b>1", assignment_id="A1", client_msg_id=f"c{n}")
    handler.log_message(run_id, "t_1", "System", {"text": "ok", "task_data": {
        "picture": "https://example.org/cat.png", "rows": [{"a": XSS[0], "b": 2}]}})
    handler.log_complete_assignment("W<b>1", "A1")
    handler.save_world_data({"custom_data": {"verdict": XSS[1]}, "worker_data": {"W<b>1": {"x": XSS[2]}}}, run_id, "t_1")
    return run_id


def test_markup_from_workers_is_escaped_on_the_conversation_page(client, hostile):
    html = client.get(f"/runs/{hostile}/conversations/t_1").get_data(as_text=True)
    assert "<script>window.__pwned" not in html
    assert not re.search(r"<[a-z]+[^>]* on[a-z]+=", html)  # no tag carries an event handler
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert 'src="javascript:' not in html
    images = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert images and set(images) == {"https://example.org/cat.png"}


def test_markup_in_ids_is_escaped_on_the_run_and_worker_pages(client, hostile):
    run_page = client.get(f"/runs/{hostile}").get_data(as_text=True)
    assert "W<b>1" not in run_page and "W&lt;b&gt;1" in run_page
    worker_page = client.get("/workers/W%3Cb%3E1").get_data(as_text=True)
    assert "W<b>1" not in worker_page and "W&lt;b&gt;1" in worker_page


def test_every_page_sends_a_strict_content_security_policy(client, hostile):
    response = client.get(f"/runs/{hostile}/conversations/t_1")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
