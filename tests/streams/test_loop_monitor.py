"""streams.loop_monitor: a loop stuck past the stall names the code it is stuck in, once."""

import threading
import time

import pytest

from streams.loop_monitor import Watchdog, held_lag


def test_a_stuck_thread_s_stack_is_reported_once_per_stall(caplog):
    watchdog = Watchdog(threading.get_ident(), stall=0.05)
    found = []

    def look():
        time.sleep(0.15)
        found.append(watchdog.check())
        found.append(watchdog.check())

    def blocking_work():
        helper = threading.Thread(target=look)
        helper.start()
        helper.join()  # the "loop" is stuck here while the helper looks

    watchdog.beat()
    blocking_work()
    assert "blocking_work" in found[0] and found[1] is None
    assert "event loop blocked" in caplog.text and "blocking_work" in caplog.text
    watchdog.beat()
    assert watchdog.check() is None  # it woke: not stuck


def test_lag_spent_waiting_for_a_cpu_is_not_held_by_the_loop():
    assert held_lag(lag=0.5, busy=0.55, period=0.05) == pytest.approx(0.5)  # its own work
    assert held_lag(lag=0.2, busy=0.06, period=0.05) == pytest.approx(0.01)  # not scheduled
    assert held_lag(lag=0.0, busy=0.01, period=0.05) == 0.0
