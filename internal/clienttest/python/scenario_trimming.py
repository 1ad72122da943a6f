#!/usr/bin/env python3
"""Stream trimming strategies: XTRIM MAXLEN ~ 10000, XTRIM MINID ~ <id>,
XADD MAXLEN ~ 10000 and their exact forms. Approximate trimming removes
whole nodes of 100 entries only (stream-node-max-entries), so the lengths
below are exact on Redis and must be on Pelican."""
from common import connect, expect

r = connect()


def fill(key, n, start=0, ids=None):
    """Adds n entries in pipelined batches; ids, if given, makes the IDs."""
    pipe = r.pipeline(transaction=False)
    for i in range(start, start + n):
        pipe.xadd(key, {"field": "value", "n": str(i)}, id=ids(i) if ids else "*")
        if len(pipe) == 1000:
            pipe.execute()
    pipe.execute()


def first_n(key):
    return int(r.xrange(key, "-", "+", count=1)[0][1]["n"])


# Keep last 10000 messages: XTRIM mystream MAXLEN ~ 10000
fill("mystream", 12345)
expect(r.execute_command("XTRIM", "mystream", "MAXLEN", "~", "10000"), 2300, "XTRIM MAXLEN ~ 10000 removes")
expect((r.xlen("mystream"), first_n("mystream")), (10045, 2300), "length and first entry after MAXLEN ~")
expect(r.xtrim("mystream", maxlen=10000, approximate=True), 0, "MAXLEN ~ again: less than a node over")
expect(r.xtrim("mystream", maxlen=10000, approximate=False), 45, "exact MAXLEN removes the rest")
expect((r.xlen("mystream"), first_n("mystream")), (10000, 2345), "after exact MAXLEN")
# The exact trim left 55 entries in the first node; LIMIT 150 lets the
# trim remove that node but not the next 100.
expect(r.xtrim("mystream", maxlen=5000, approximate=True, limit=150), 55, "MAXLEN ~ 5000 LIMIT 150")

# Remove messages older than a specific ID: XTRIM mystream MINID ~ 1704067200000-0
fill("timeline", 400, ids=lambda i: f"{1704067000000 + 1000 * i}-0")
expect(r.execute_command("XTRIM", "timeline", "MINID", "~", "1704067200000-0"), 200, "MINID ~ removes whole nodes")
expect(r.xrange("timeline", "-", "+", count=1)[0][0], "1704067200000-0", "first entry after MINID ~")
expect(r.xtrim("timeline", minid="1704067250500", approximate=True), 0, "MINID ~ inside a node removes nothing")
expect(r.xtrim("timeline", minid="1704067250500", approximate=False), 51, "exact MINID")
expect(r.xrange("timeline", "-", "+", count=1)[0][0], "1704067251000-0", "first entry after exact MINID")

# Auto-trim on XADD: XADD mystream MAXLEN ~ 10000 * field value
for i in range(10150):
    if i % 1000 == 0:
        pipe = r.pipeline(transaction=False)
    pipe.xadd("autotrim", {"field": "value", "n": str(i)}, maxlen=10000, approximate=True)
    if i % 1000 == 999 or i == 10149:
        pipe.execute()
expect((r.xlen("autotrim"), first_n("autotrim")), (10050, 100), "XADD MAXLEN ~ 10000 after 10150 adds")
new_id = r.execute_command("XADD", "autotrim", "MAXLEN", "~", "10000", "*", "field", "value")
expect(r.xrevrange("autotrim", "+", "-", count=1)[0][0], new_id, "XADD MAXLEN ~ as the lesson types it")
expect(r.xlen("autotrim"), 10051, "length after it")
r.xadd("autotrim", {"field": "value"}, maxlen=10, approximate=False)
expect(r.xlen("autotrim"), 10, "XADD MAXLEN = 10")
r.xadd("autotrim", {"field": "value"}, minid="0-1", approximate=False)
expect(r.xlen("autotrim"), 11, "XADD MINID below every entry")
print("trimming: ok")
