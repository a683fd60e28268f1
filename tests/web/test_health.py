"""web.health: what the banner and /healthz say."""

from streams.settings import Settings
from web.health import Health


def health(age=1.0, error=None, **attrs):
    h = Health(Settings(), None, lambda: age, lambda: error, "g")
    h.loaded = True
    for name, value in attrs.items():
        setattr(h, name, value)
    return h


def test_starting_until_loaded():
    h = health()
    h.loaded = False
    assert h.status() == {"state": "starting"}


def test_all_well():
    s = health(sink_lag=3, worker_lag=0).status()
    assert (s["state"], s["kafka"], s["clickhouse"], s["pipeline"]) == ("ok", "ok", "ok", "ok")
    assert s["feed_age_s"] == 1.0


def test_down_and_behind():
    assert health(age=30).status()["kafka"] == "down"
    assert health(error="KafkaConnectionError").status()["kafka"] == "down"
    assert health(clickhouse_error="refused").status()["clickhouse"] == "down"
    s = health(sink_lag=5000, worker_lag=5000).status()
    assert (s["state"], s["clickhouse"], s["pipeline"]) == ("degraded", "behind", "behind")
