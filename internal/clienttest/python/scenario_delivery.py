#!/usr/bin/env python3
"""Delivery guarantees: at_least_once_consumer, which may process an entry
twice after a crash between processing and XACK, and exactly_once_consumer,
which deduplicates with SISMEMBER and a MULTI/EXEC pipeline of the work,
SADD and EXPIRE. Blocks are 100-200 ms instead of 5 s."""
import threading
import time

import redis

from common import connect, expect, wait_idle

r = connect()


class Crash(Exception):
    """The consumer died after processing, before XACK."""


# At-least-once.
seen = {}
crash_after_processing = {"e2"}


def process_message(fields):
    """Idempotent processing: recording an event twice is harmless."""
    seen[fields["event"]] = seen.get(fields["event"], 0) + 1
    if fields["event"] in crash_after_processing:
        crash_after_processing.discard(fields["event"])
        raise Crash()


def at_least_once_consumer(stream, group, consumer, rounds, start=">"):
    """Messages may be processed multiple times"""
    for _ in range(rounds):
        messages = r.xreadgroup(groupname=group, consumername=consumer, streams={stream: start},
                                count=10, block=200)
        for stream_name, entries in (messages or []):
            for msg_id, fields in entries:
                try:
                    process_message(fields)  # Must be idempotent!
                    r.xack(stream, group, msg_id)
                except Exception:
                    pass  # Will be redelivered


stream, group = "events", "loggers"
r.xgroup_create(stream, group, id="$", mkstream=True)
for n in range(1, 5):
    r.xadd(stream, {"event": f"e{n}"})

# A producer adds e5 while the consumer waits in its blocking read.
producer = threading.Timer(0.05, lambda: r.xadd(stream, {"event": "e5"}))
started = time.monotonic()
at_least_once_consumer(stream, group, "c1", rounds=1)
producer.start()
at_least_once_consumer(stream, group, "c1", rounds=1)
producer.join()
if time.monotonic() - started > 5:
    raise AssertionError("the blocking read was not served by the concurrent XADD")
expect(seen, {"e1": 1, "e2": 1, "e3": 1, "e4": 1, "e5": 1}, "processed once each")
pending = r.xpending_range(stream, group, "-", "+", 10)
expect([p["times_delivered"] for p in pending], [1], "e2, unacknowledged after the crash")

# After a restart the consumer re-reads its pending entries: e2 is
# processed a second time.
at_least_once_consumer(stream, group, "c1", rounds=1, start="0")
expect(seen, {"e1": 1, "e2": 2, "e3": 1, "e4": 1, "e5": 1}, "processed at least once")
expect(r.xpending(stream, group)["pending"], 0, "PEL after the redelivery")
expect(r.xreadgroup(group, "c1", {stream: ">"}, block=100), [], "a blocking read that times out")

# Exactly-once processing at the application level.
crash_before_ack = set()


def process_message_pipelined(pipe, fields):
    """The effects of a payment, queued in the caller's transaction."""
    pipe.incrby(f"balance:{fields['account']}", int(fields["amount"]))
    pipe.xadd("ledger", {"account": fields["account"], "amount": fields["amount"]})


def exactly_once_consumer(stream, group, consumer, rounds, start=">"):
    """Use deduplication for exactly-once semantics"""
    for _ in range(rounds):
        messages = r.xreadgroup(groupname=group, consumername=consumer, streams={stream: start},
                                count=10, block=200)
        for stream_name, entries in (messages or []):
            for msg_id, fields in entries:
                # Check if already processed
                if r.sismember("processed:messages", msg_id):
                    r.xack(stream, group, msg_id)
                    continue
                try:
                    # Process in transaction with dedup marker
                    pipe = r.pipeline()
                    process_message_pipelined(pipe, fields)
                    pipe.sadd("processed:messages", msg_id)
                    pipe.expire("processed:messages", 86400)  # 24h
                    pipe.execute()
                    if msg_id in crash_before_ack:
                        crash_before_ack.discard(msg_id)
                        raise Crash()
                    r.xack(stream, group, msg_id)
                except Exception:
                    pass


stream, group = "payments", "ledger-writers"
r.xgroup_create(stream, group, id="0", mkstream=True)
payments = [("acct-1", 10), ("acct-2", 20), ("acct-1", 5), ("acct-3", 7)]
ids = [r.xadd(stream, {"account": a, "amount": str(n)}) for a, n in payments]
crash_before_ack.update([ids[0], ids[2]])
exactly_once_consumer(stream, group, "w1", rounds=1)
expect(r.xpending(stream, group)["pending"], 2, "payments left pending by the crashes")

# The restarted consumer re-reads its pending payments; another takes
# over idle ones with XAUTOCLAIM. Neither applies a payment twice.
exactly_once_consumer(stream, group, "w1", rounds=1, start="0")
expect(r.xpending(stream, group)["pending"], 0, "PEL after redelivery")
expect((r.get("balance:acct-1"), r.get("balance:acct-2"), r.get("balance:acct-3")), ("15", "20", "7"),
       "balances applied exactly once")
expect(r.xlen("ledger"), 4, "ledger entries")
expect(r.smembers("processed:messages"), set(ids), "deduplication markers")
ttl = r.ttl("processed:messages")
if not 86000 < ttl <= 86400:
    raise AssertionError(f"processed:messages expires in {ttl} s, want about a day")

dup = r.xadd(stream, {"account": "acct-2", "amount": "1"})
r.xreadgroup(group, "w-crashed", {stream: ">"})
r.sadd("processed:messages", dup)  # it was applied before the crash
wait_idle(r, stream, group, 50)
_, claimed, _ = r.xautoclaim(stream, group, "w2", 50, "0-0")
expect([m for m, _ in claimed], [dup], "payment claimed from the crashed consumer")
exactly_once_consumer(stream, group, "w2", rounds=1, start="0")
expect(r.get("balance:acct-2"), "20", "a duplicate is acknowledged without being applied")
expect(r.xpending(stream, group)["pending"], 0, "PEL at the end")

# A command refused while the transaction is queued discards it whole:
# redis-py reports the refusal, and nothing was applied.
pipe = r.pipeline()
pipe.incrby("balance:acct-9", 1)
pipe.execute_command("XADD", "ledger")
try:
    pipe.execute()
    raise AssertionError("EXEC of a transaction with a refused command succeeded")
except redis.ResponseError as e:
    expect(str(e), "Command # 2 (XADD ledger) of pipeline caused error: "
           "wrong number of arguments for 'xadd' command", "error of the refused transaction")
expect(r.get("balance:acct-9"), None, "balance after EXECABORT")
print("delivery: ok")
