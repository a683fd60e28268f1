"""streams.loop_monitor: a loop stuck past the stall names the code it is stuck in, once."""

import threading
import time

from streams.loop_monitor import Watchdog


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
