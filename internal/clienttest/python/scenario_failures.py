#!/usr/bin/env python3
"""Consumer failures: XPENDING inspection, re-reading pending entries with
ID 0, XCLAIM from a failed consumer, XAUTOCLAIM in claim_abandoned_messages,
the orders dead letter queue, and a consumer health check with heartbeats.
Idle thresholds are 100-150 ms instead of minutes so that it runs in a
moment."""
from common import connect, expect, wait_idle, wait_until

r = connect()
STREAM, GROUP = "orders", "orderprocessors"
MAX_RETRIES = 3
IDLE_MS = 100

r.xgroup_create(STREAM, GROUP, id="$", mkstream=True)
ids = [r.xadd(STREAM, {"customer": c, "amount": str(10 * (i + 1))})
       for i, c in enumerate(["alice", "bob", "carol", "dave", "erin", "frank"])]

# worker-1 takes three orders and crashes; worker-2 takes three and
# acknowledges one.
[[_, got1]] = r.xreadgroup(GROUP, "worker-1", {STREAM: ">"}, count=3)
[[_, got2]] = r.xreadgroup(GROUP, "worker-2", {STREAM: ">"}, count=3)
expect([m for m, _ in got1 + got2], ids, "orders delivered")
expect(got1[0][1], {"customer": "alice", "amount": "10"}, "first order's fields")
expect(r.xack(STREAM, GROUP, ids[3]), 1, "XACK")

# The Pending Entries List.
summary = r.xpending(STREAM, GROUP)
expect(summary, {"pending": 5, "min": ids[0], "max": ids[5], "consumers": [
    {"name": "worker-1", "pending": 3}, {"name": "worker-2", "pending": 2}]}, "XPENDING summary")
pending = r.xpending_range(STREAM, GROUP, "-", "+", 10, consumername="worker-1")
expect([(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending],
       [(i, "worker-1", 1) for i in ids[:3]], "XPENDING - + 10 worker-1")
for p in pending:
    if not 0 <= p["time_since_delivered"] < 60000:
        raise AssertionError(f"time since delivery {p['time_since_delivered']}")

# A consumer re-reads its own pending entries with ID 0.
[[_, again]] = r.xreadgroup(GROUP, "worker-2", {STREAM: "0"}, count=10)
expect([m for m, _ in again], [ids[4], ids[5]], "worker-2's pending entries")
expect([p["times_delivered"] for p in r.xpending_range(STREAM, GROUP, ids[4], ids[5], 10)], [2, 2],
       "deliveries after re-reading")
expect(r.xreadgroup(GROUP, "worker-3", {STREAM: "0"}), [[STREAM, []]], "re-reading with nothing pending")

# XCLAIM: entries not idle long enough stay; idle ones move.
expect(r.xclaim(STREAM, GROUP, "worker-2", 60000, [ids[0], ids[1]]), [], "XCLAIM of busy entries")
wait_idle(r, STREAM, GROUP, IDLE_MS, consumer="worker-1")
claimed = r.xclaim(STREAM, GROUP, "worker-2", IDLE_MS, [ids[0], ids[1]])
expect([m for m, _ in claimed], ids[:2], "XCLAIM from the failed consumer")
expect([(p["consumer"], p["times_delivered"]) for p in r.xpending_range(STREAM, GROUP, ids[0], ids[1], 10)],
       [("worker-2", 2), ("worker-2", 2)], "owner and deliveries after XCLAIM")
expect(r.xclaim(STREAM, GROUP, "worker-2", 0, [ids[2]], justid=True), [ids[2]], "XCLAIM JUSTID")

# XAUTOCLAIM, paginated with the cursor it returns.
wait_idle(r, STREAM, GROUP, IDLE_MS)
next_id, page, deleted = r.xautoclaim(STREAM, GROUP, "recovery-worker", IDLE_MS, "0-0", count=2)
expect(([m for m, _ in page], next_id, deleted), (ids[:2], ids[2], []), "first XAUTOCLAIM page")
next_id, page, _ = r.xautoclaim(STREAM, GROUP, "recovery-worker", IDLE_MS, next_id, count=2)
expect(([m for m, _ in page], next_id), ([ids[2], ids[4]], ids[5]), "second XAUTOCLAIM page")
expect(r.xautoclaim(STREAM, GROUP, "recovery-worker", IDLE_MS, next_id, count=2, justid=True), [ids[5]],
       "XAUTOCLAIM JUSTID")

# claim_abandoned_messages: everything the recovery worker holds goes
# back to a worker once idle; dave's order keeps failing.
processed = []


def process_order(fields):
    if fields["customer"] in ("carol", "ivan"):
        raise RuntimeError("payment declined")
    processed.append(fields["customer"])


def claim_abandoned_messages(idle_threshold_ms=300000):
    """Claim messages from consumers idle longer than the threshold"""
    rounds = 0
    while True:
        rounds += 1
        result = r.xautoclaim(STREAM, GROUP, "recovery-worker", idle_threshold_ms, "0-0", count=100)
        next_id, claimed = result[0], result[1]
        if not claimed:
            break
        for entry_id, fields in claimed:
            # Reprocess claimed messages
            try:
                process_order(fields)
                r.xack(STREAM, GROUP, entry_id)
            except Exception:
                pass  # Will be claimed again if still failing
    return rounds


wait_idle(r, STREAM, GROUP, IDLE_MS)
expect(claim_abandoned_messages(IDLE_MS), 2, "rounds of claim_abandoned_messages")
expect(sorted(processed), ["alice", "bob", "erin", "frank"], "orders recovered")
left = r.xpending_range(STREAM, GROUP, "-", "+", 10)
expect([(p["message_id"], p["consumer"]) for p in left], [(ids[2], "recovery-worker")], "the failing order")

# The orders dead letter queue of this lesson: pending entries delivered
# more than MAX_RETRIES times go to orders:dlq, then new orders are read.
moved = []


def process_with_dlq(consumer_name, rounds):
    for _ in range(rounds):
        # First, check for pending messages to retry
        pending = r.xpending_range(STREAM, GROUP, min="-", max="+", count=10, consumername=consumer_name)
        for entry in pending:
            entry_id = entry["message_id"]
            delivery_count = entry["times_delivered"]
            if delivery_count > MAX_RETRIES:
                # Move to dead letter queue
                msg = r.xrange(STREAM, entry_id, entry_id)
                if msg:
                    r.xadd("orders:dlq", {"original_id": entry_id, **msg[0][1]})
                r.xack(STREAM, GROUP, entry_id)
                moved.append((entry_id, delivery_count))
        # Then process new messages
        messages = r.xreadgroup(GROUP, consumer_name, {STREAM: ">"}, count=10, block=50)
        # ... process messages: new ones, and the pending ones re-read
        # with ID 0 (each re-read counts a delivery).
        messages += r.xreadgroup(GROUP, consumer_name, {STREAM: "0"}, count=10)
        for _, entries in messages:
            for entry_id, fields in entries:
                try:
                    process_order(fields)
                    r.xack(STREAM, GROUP, entry_id)
                except Exception:
                    pass
        if not r.xpending_range(STREAM, GROUP, "-", "+", 1, consumername=consumer_name):
            return


# carol's order, already delivered four times, moves at once; ivan's new
# order fails on every delivery until it has had more than MAX_RETRIES.
r.xclaim(STREAM, GROUP, "worker-3", 0, [ids[2]])
r.xadd(STREAM, {"customer": "grace", "amount": "70"})
ivan = r.xadd(STREAM, {"customer": "ivan", "amount": "80"})
process_with_dlq("worker-3", rounds=10)
expect(moved, [(ids[2], 4), (ivan, 4)], "orders moved to orders:dlq")
expect([fields for _, fields in r.xrange("orders:dlq")], [
    {"original_id": ids[2], "customer": "carol", "amount": "30"},
    {"original_id": ivan, "customer": "ivan", "amount": "80"},
], "orders:dlq")
expect(processed[-1], "grace", "new order processed by process_with_dlq")
expect(r.xpending(STREAM, GROUP)["pending"], 0, "PEL after the DLQ")

# Consumer health check: a live consumer heartbeats by reading (which
# refreshes its idle time); a dead one only grows idle. The check claims
# the entries of every consumer idle past the threshold and removes it.
for name in ("alive", "dead"):
    r.xgroup_createconsumer(STREAM, GROUP, name)
for i in range(4):
    r.xadd(STREAM, {"customer": f"batch-{i}", "amount": "1"})
r.xreadgroup(GROUP, "dead", {STREAM: ">"}, count=2)
r.xreadgroup(GROUP, "alive", {STREAM: ">"}, count=2)


def heartbeat(name):
    """Reads the consumer's history from the ID just before the largest
    one (the largest means ">" to Redis 7.0): nothing is
    returned or redelivered, but the read refreshes the consumer's idle
    time (Redis 7.0 refreshes it only for reads served at once)."""
    r.xreadgroup(GROUP, name, {STREAM: "18446744073709551615-18446744073709551614"}, count=1)


def idle_of(name):
    return {c["name"]: c for c in r.xinfo_consumers(STREAM, GROUP)}[name]["idle"]


def health_check(threshold_ms, rescuer):
    """Claims the pending entries of consumers idle past the threshold and
    deletes those consumers. Returns the PEL size, for alerting."""
    removed = []
    for c in r.xinfo_consumers(STREAM, GROUP):
        if c["name"] == rescuer or c["idle"] <= threshold_ms:
            continue
        pending = r.xpending_range(STREAM, GROUP, "-", "+", 100, consumername=c["name"])
        if pending:
            r.xclaim(STREAM, GROUP, rescuer, 0, [p["message_id"] for p in pending])
        expect(r.xgroup_delconsumer(STREAM, GROUP, c["name"]), 0, f"entries left with {c['name']}")
        removed.append(c["name"])
    return removed, r.xpending(STREAM, GROUP)["pending"]


def dead_is_stale():
    heartbeat("alive")
    return idle_of("dead") > 150


wait_until(dead_is_stale, "the dead consumer to go idle")
heartbeat("alive")
if idle_of("alive") > 150:
    raise AssertionError("the live consumer's heartbeat did not refresh its idle time")
removed, pel = health_check(150, "alive")
expect(sorted(removed), ["dead", "recovery-worker", "worker-1", "worker-2", "worker-3"],
       "consumers removed by the health check")
expect([c["name"] for c in r.xinfo_consumers(STREAM, GROUP)], ["alive"], "consumers after the health check")
expect(pel, 4, "PEL size reported for monitoring")
expect(r.xpending(STREAM, GROUP)["consumers"], [{"name": "alive", "pending": 4}], "owner of the batch")
print("failures: ok")
