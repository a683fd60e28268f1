"""web.ratelimit: failed logins per key within a window."""

from web.ratelimit import LoginLimiter


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_blocks_after_n_failures_until_the_window_passes():
    clock = Clock()
    limiter = LoginLimiter(3, 60, clock)
    for _ in range(3):
        assert limiter.retry_after("addr:a", "user:u") == 0
        limiter.failed("addr:a", "user:u")
    assert limiter.retry_after("addr:a") == 60
    assert limiter.retry_after("user:u") == 60
    assert limiter.retry_after("addr:b", "user:v") == 0
    clock.now += 30
    assert limiter.retry_after("addr:b", "user:u") == 30  # same user from elsewhere: blocked
    clock.now += 30
    assert limiter.retry_after("addr:a", "user:u") == 0


def test_success_clears_the_count():
    limiter = LoginLimiter(2, 60, Clock())
    limiter.failed("k")
    limiter.succeeded("k")
    limiter.failed("k")
    assert limiter.retry_after("k") == 0
