#!/usr/bin/env python3
"""Dead letter queue: process_with_dlq with MAX_RETRIES, moving entries to
<stream>:dlq with metadata, get_dlq_stats and reprocess_dlq."""
import time

from common import connect, expect

r = connect()
MAX_RETRIES = 3
log = []


class PaymentProcessor:
    """Processes payments; poison payments fail until accept_poison is set,
    flaky ones fail on their first attempt only."""

    def __init__(self):
        self.done = []
        self.accept_poison = False
        self.failed_once = set()

    def __call__(self, fields):
        if fields.get("poison") == "1" and not self.accept_poison:
            raise ValueError(f"cannot parse payment {fields['payment']}")
        if fields.get("flaky") == "1" and fields["payment"] not in self.failed_once:
            self.failed_once.add(fields["payment"])
            raise ConnectionError("bank timed out")
        self.done.append(dict(fields))


process_message = PaymentProcessor()


def process_with_dlq(stream, group, consumer):
    """One pass of the lesson's loop over the consumer's pending entries."""
    pending = r.xpending_range(stream, group, min="-", max="+", count=10, consumername=consumer)
    for entry in pending:
        msg_id = entry["message_id"]
        delivery_count = entry["times_delivered"]

        if delivery_count > MAX_RETRIES:
            # Move to Dead Letter Queue
            msg = r.xrange(stream, msg_id, msg_id)
            if msg:
                # Store in DLQ with metadata
                r.xadd(f"{stream}:dlq", {
                    "original_id": msg_id,
                    "original_stream": stream,
                    "delivery_count": str(delivery_count),
                    "failed_at": str(time.time()),
                    **msg[0][1],
                })
            # Acknowledge to remove from PEL
            r.xack(stream, group, msg_id)
            log.append(f"Moved {msg_id} to DLQ after {delivery_count} attempts")
            continue

        # Try to reprocess
        try:
            msg = r.xrange(stream, msg_id, msg_id)
            if msg:
                process_message(msg[0][1])
                r.xack(stream, group, msg_id)
        except Exception as e:
            log.append(f"Retry {delivery_count} failed for {msg_id}: {e}")
    return len(pending)


def get_dlq_stats(stream):
    """Get statistics about dead letters"""
    dlq_key = f"{stream}:dlq"
    return {
        "count": r.xlen(dlq_key),
        "oldest": r.xrange(dlq_key, "-", "+", count=1),
        "newest": r.xrevrange(dlq_key, "+", "-", count=1),
    }


def reprocess_dlq(stream, count=10):
    """Attempt to reprocess dead letters"""
    dlq_key = f"{stream}:dlq"
    messages = r.xrange(dlq_key, "-", "+", count=count)
    reprocessed = 0
    for msg_id, fields in messages:
        try:
            # Extract original data (exclude DLQ metadata)
            original_data = {k: v for k, v in fields.items()
                             if k not in ["original_id", "original_stream",
                                          "delivery_count", "failed_at"]}
            process_message(original_data)
            r.xdel(dlq_key, msg_id)
            reprocessed += 1
        except Exception:
            log.append(f"Still failing: {msg_id}")
    return reprocessed


stream, group, consumer = "payments", "processors", "worker-1"
r.xgroup_create(stream, group, id="0", mkstream=True)
ids = {}
for n in range(1, 7):
    fields = {"payment": f"pay-{n}", "amount": str(n * 10)}
    if n in (3, 5):
        fields["poison"] = "1"
    if n == 4:
        fields["flaky"] = "1"
    ids[n] = r.xadd(stream, fields)

# First delivery: what fails stays pending.
for _, entries in r.xreadgroup(group, consumer, {stream: ">"}, count=10):
    for msg_id, fields in entries:
        try:
            process_message(fields)
            r.xack(stream, group, msg_id)
        except Exception:
            pass
expect([f["payment"] for f in process_message.done], ["pay-1", "pay-2", "pay-6"], "processed on first delivery")
expect(r.xpending(stream, group)["pending"], 3, "pending after the first delivery")

# Retry cycles: a pass of process_with_dlq, then the consumer re-reads
# its pending entries with ID 0, which counts another delivery.
for cycle in range(10):
    if process_with_dlq(stream, group, consumer) == 0:
        break
    r.xreadgroup(group, consumer, {stream: "0"}, count=10)
expect(cycle, 4, "retry cycles until the PEL was empty")
expect(log, [
    f"Retry 1 failed for {ids[3]}: cannot parse payment pay-3",
    f"Retry 1 failed for {ids[5]}: cannot parse payment pay-5",
    f"Retry 2 failed for {ids[3]}: cannot parse payment pay-3",
    f"Retry 2 failed for {ids[5]}: cannot parse payment pay-5",
    f"Retry 3 failed for {ids[3]}: cannot parse payment pay-3",
    f"Retry 3 failed for {ids[5]}: cannot parse payment pay-5",
    f"Moved {ids[3]} to DLQ after 4 attempts",
    f"Moved {ids[5]} to DLQ after 4 attempts",
], "log of the retries")
expect([f["payment"] for f in process_message.done], ["pay-1", "pay-2", "pay-6", "pay-4"], "processed after retries")
expect(r.xpending(stream, group), {"pending": 0, "min": None, "max": None, "consumers": []}, "PEL after the DLQ moves")

dead = r.xrange(f"{stream}:dlq", "-", "+")
expect(len(dead), 2, "dead letters")
for (dlq_id, fields), n in zip(dead, (3, 5)):
    failed_at = float(fields.pop("failed_at"))
    if not time.time() - 60 < failed_at <= time.time():
        raise AssertionError(f"failed_at {failed_at} is not a recent time")
    expect(fields, {
        "original_id": ids[n], "original_stream": stream, "delivery_count": "4",
        "payment": f"pay-{n}", "amount": str(n * 10), "poison": "1",
    }, f"dead letter {dlq_id}")

stats = get_dlq_stats(stream)
expect(stats["count"], 2, "DLQ count")
expect(stats["oldest"][0][1]["original_id"], ids[3], "oldest dead letter")
expect(stats["newest"][0][1]["original_id"], ids[5], "newest dead letter")
expect(get_dlq_stats("nothing"), {"count": 0, "oldest": [], "newest": []}, "stats of an empty DLQ")

log.clear()
expect(reprocess_dlq(stream), 0, "reprocessed while still failing")
expect(log, [f"Still failing: {dead[0][0]}", f"Still failing: {dead[1][0]}"], "log of the failed reprocessing")
expect(r.xlen(f"{stream}:dlq"), 2, "DLQ length after failed reprocessing")

process_message.accept_poison = True
expect(reprocess_dlq(stream, count=1), 1, "reprocessed with count=1")
expect(reprocess_dlq(stream), 1, "reprocessed the rest")
expect(get_dlq_stats(stream), {"count": 0, "oldest": [], "newest": []}, "DLQ after reprocessing")
expect(process_message.done[-2:], [
    {"payment": "pay-3", "amount": "30", "poison": "1"},
    {"payment": "pay-5", "amount": "50", "poison": "1"},
], "original data handed to the processor, without DLQ metadata")
print("dlq: ok")
