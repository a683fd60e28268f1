"""web.sse: frames and where a client resumes."""

from types import SimpleNamespace

from web.sse import frame, resume_point


def request(headers=None, query=None):
    return SimpleNamespace(headers=headers or {}, query=query or {})


def test_frame():
    assert frame(7, '{"a":1}') == b'id: 7\ndata: {"a":1}\n\n'


def test_resume_point_prefers_last_event_id():
    assert resume_point(request({"Last-Event-ID": "12"}, {"since": "5"})) == 12
    assert resume_point(request(query={"since": "5"})) == 5
    assert resume_point(request()) is None


def test_a_malformed_resume_point_forces_a_resync():
    assert resume_point(request({"Last-Event-ID": "abc"})) == -1
    assert resume_point(request(query={"since": "1e3"})) == -1
