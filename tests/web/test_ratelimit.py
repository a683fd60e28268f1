"""web.ratelimit: attempts counted before the check, per address and per user."""

from web.ratelimit import LoginLimiter


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def attempt(limiter, *keys):
    limiter.begin(*keys)
    limiter.end(*keys)


def test_an_address_is_held_for_the_window_after_n_attempts():
    clock = Clock()
    limiter = LoginLimiter(3, 60, clock)
    for _ in range(3):
        assert limiter.wait("addr:a", progressive=False) == 0
        attempt(limiter, "addr:a")
    assert limiter.wait("addr:a", progressive=False) == 60
    assert limiter.wait("addr:b", progressive=False) == 0
    clock.now += 60
    assert limiter.wait("addr:a", progressive=False) == 0


def test_a_user_waits_a_doubling_delay_not_the_window():
    clock = Clock()
    limiter = LoginLimiter(3, 300, clock, max_delay=30)
    for _ in range(3):
        attempt(limiter, "user:u")
    assert limiter.wait("user:u", progressive=True) == 2
    clock.now += 2
    attempt(limiter, "user:u")
    assert limiter.wait("user:u", progressive=True) == 4
    for _ in range(10):
        attempt(limiter, "user:u")
    assert limiter.wait("user:u", progressive=True) == 30  # capped


def test_a_key_being_checked_is_busy():
    limiter = LoginLimiter(5, 60, Clock())
    limiter.begin("user:u")
    assert limiter.wait("user:u", progressive=True) > 0
    limiter.end("user:u")
    assert limiter.wait("user:u", progressive=True) == 0


def test_refund_takes_back_one_attempt_and_forget_all():
    limiter = LoginLimiter(2, 60, Clock())
    attempt(limiter, "addr:a")
    attempt(limiter, "addr:a")
    limiter.refund("addr:a")
    assert limiter.wait("addr:a", progressive=False) == 0
    attempt(limiter, "addr:a")
    assert limiter.wait("addr:a", progressive=False) > 0
    limiter.forget("addr:a")
    assert limiter.wait("addr:a", progressive=False) == 0 and len(limiter) == 0
