"""Helpers shared by the redis-py scenarios.

The Go test (python_test.go) runs each scenario_*.py with the server's
port in CLIENTTEST_PORT and a database of its own in CLIENTTEST_DB. A
scenario exits non-zero, with a traceback, when an expectation fails.
"""
import os
import time

import redis


def connect():
    """Returns a redis-py client for the server under test."""
    r = redis.Redis(
        host="127.0.0.1",
        port=int(os.environ["CLIENTTEST_PORT"]),
        db=int(os.environ.get("CLIENTTEST_DB", "0")),
        decode_responses=True,
        socket_timeout=10,
    )
    r.ping()
    return r


def expect(got, want, what):
    """Fails the scenario unless got == want."""
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def wait_until(cond, what, timeout=10.0):
    """Polls cond until it is true, or fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def wait_idle(r, stream, group, idle_ms, consumer=None):
    """Waits until every entry pending in group (or with consumer) has been
    idle for at least idle_ms, as XPENDING's IDLE filter sees it."""
    def all_idle():
        every = r.xpending_range(stream, group, "-", "+", 1000, consumername=consumer)
        idle = r.xpending_range(stream, group, "-", "+", 1000, consumername=consumer, idle=idle_ms)
        return len(every) == len(idle)
    wait_until(all_idle, f"entries of {stream}/{group} idle for {idle_ms} ms")
