package conformance

import (
	"strings"
)

// Difference is a reviewed, deliberate difference between the reference
// redis-server the suite runs (7.0) and Pelican, which replies as Redis
// 8.x does: a behaviour Redis changed after 7.0.
type Difference struct {
	// ID is what script directives (!differs ID) cite.
	ID string
	// Since is the Redis version that changed the behaviour.
	Since string
	// Description says in one line what changed.
	Description string
	// Source is where the change is documented: release notes, a
	// redis.io command page, or the pull request.
	Source string
}

// Differences is the reviewed list of known differences. Every entry must
// be exercised by some script, and scripts may declare no others.
var Differences = []Difference{
	{
		ID:          "hello-noauth-text",
		Since:       "7.2",
		Description: "HELLO before authentication suggests \"HELLO <proto> AUTH <user> <pass>\" (7.0: \"HELLO AUTH <user> <pass>\")",
		Source:      "https://github.com/redis/redis/pull/11809",
	},
	{
		ID:          "publish-self-after-reply",
		Since:       "7.2",
		Description: "a message a RESP3 client publishes to a channel it subscribes to follows the PUBLISH reply (7.0: precedes it)",
		Source:      "https://github.com/redis/redis/pull/12326",
	},
	{
		ID:          "help-footer",
		Since:       "7.2",
		Description: "HELP replies end with \"Print this help.\" (7.0: \"Prints this help.\")",
		Source:      "https://github.com/redis/redis/pull/10965",
	},
	{
		ID:          "xinfo-consumers-inactive",
		Since:       "7.2",
		Description: "XINFO CONSUMERS adds `inactive` (ms since the last successful read or claim, -1 if none) after `idle`, which now counts from the last attempt",
		Source:      "https://github.com/redis/redis/pull/11099",
	},
	{
		ID:          "xinfo-full-active-time",
		Since:       "7.2",
		Description: "XINFO STREAM FULL adds `active-time` to each consumer, and `seen-time` counts from the last read or claim attempt",
		Source:      "https://github.com/redis/redis/pull/11099",
	},
	{
		ID:          "xreadgroup-creates-consumer",
		Since:       "7.2",
		Description: "XREADGROUP creates its consumer even when it reads nothing (7.0 created it only when serving entries)",
		Source:      "https://github.com/redis/redis/pull/11099",
	},
	{
		ID:          "xclaim-creates-consumer",
		Since:       "7.2",
		Description: "XCLAIM and XAUTOCLAIM create their consumer even when they claim nothing (7.0 created it only when claiming)",
		Source:      "https://github.com/redis/redis/pull/11099",
	},
	{
		ID:          "xadd-seq-overflow-error",
		Since:       "7.2",
		Description: "XADD <ms>-* whose sequence would overflow replies that the ID is equal or smaller than the top item (7.0: elements too large)",
		Source:      "https://github.com/redis/redis/pull/11424",
	},
	{
		ID:          "xread-unbalanced-error",
		Since:       "7.2, 8.0",
		Description: "XREAD's unbalanced STREAMS error names the command as 'xread' (7.2) and lists '+' among the special IDs (8.0)",
		Source:      "https://github.com/redis/redis/pull/13474",
	},
	{
		ID:          "xreadgroup-unbalanced-error",
		Since:       "7.2",
		Description: "XREADGROUP's unbalanced STREAMS error names 'xreadgroup' and suggests '>' instead of '$'",
		Source:      "https://github.com/redis/redis/pull/11799",
	},
	{
		ID:          "xread-plus-id",
		Since:       "7.4",
		Description: "XREAD accepts '+' (the last entry of the stream); XREADGROUP refuses it with its own error (7.0: invalid stream ID)",
		Source:      "https://redis.io/docs/latest/commands/xread/",
	},
	{
		ID:          "block-timeout-overflow",
		Since:       "7.2",
		Description: "A BLOCK timeout that would overflow when added to the current time is refused with \"timeout is out of range\"",
		Source:      "https://github.com/redis/redis/pull/11338",
	},
	{
		ID:          "xsetid-max-deleted-check",
		Since:       "7.2",
		Description: "XSETID refuses an ID smaller than the stream's max_deleted_entry_id",
		Source:      "https://github.com/redis/redis/pull/11444",
	},
	{
		ID:          "blocked-reprocess",
		Since:       "7.2",
		Description: "A blocked XREAD or XREADGROUP is re-executed when its key is signalled: it keeps waiting if it finds nothing (7.0 could serve an empty list), and a deleted key or destroyed group gets the command's usual error (7.0: texts of its own)",
		Source:      "https://github.com/redis/redis/pull/11012",
	},
	{
		ID:          "lag-tombstones",
		Since:       "8.0",
		Description: "Consumer group lag and entries-read account for deletions after the group's last ID and no longer trust a counter made stale by a tombstone",
		Source:      "https://github.com/redis/redis/pull/13338",
	},
	{
		ID:          "lag-trimmed",
		Since:       "8.0",
		Description: "Consumer group lag is 0 for an emptied stream, and the stream's length when both the group's last ID and the last tombstone precede the first entry (after XTRIM)",
		Source:      "https://github.com/redis/redis/pull/13473",
	},
	{
		ID:          "xinfo-stream-idmp-fields",
		Since:       "8.6",
		Description: "XINFO STREAM (and FULL) reports idmp-duration, idmp-maxsize, pids-tracked, iids-tracked, iids-added and iids-duplicates after recorded-first-entry-id; other comparisons drop them",
		Source:      "https://redis.io/docs/latest/commands/xinfo-stream/",
	},
	{
		ID:          "xinfo-full-nacked-count",
		Since:       "8.8",
		Description: "XINFO STREAM FULL reports each group's nacked-count (entries given back with XNACK) after pel-count; other comparisons drop it",
		Source:      "https://redis.io/docs/latest/commands/xinfo-stream/",
	},
	{
		ID:          "double-reply-format",
		Since:       "7.2",
		Description: "Doubles (sorted set scores in RESP2 and RESP3 replies, and in a listpack, as ZSCAN shows them) print in the shortest form that reads back the same, with integers up to 2^62 as integers (7.0: \"%.17g\", \"0.10000000000000001\")",
		Source:      "https://github.com/redis/redis/pull/10587",
	},
	{
		ID:          "zrank-withscore",
		Since:       "7.2",
		Description: "ZRANK and ZREVRANK take WITHSCORE and reply with the rank and the score, or a null array (7.0: a wrong number of arguments)",
		Source:      "https://redis.io/docs/latest/commands/zrank/",
	},
	{
		ID:          "zadd-encoding-hint",
		Since:       "7.2",
		Description: "A ZADD naming more members than zset-max-listpack-entries makes the sorted set a skiplist before adding them, even if fewer are new (7.0 converted only when a member was added beyond the limit)",
		Source:      "https://github.com/redis/redis/pull/12185",
	},
	{
		ID:          "lua-number-args",
		Since:       "7.2, 7.4",
		Description: "Numbers a script passes to redis.call print in the shortest form that reads back the same (7.2), integers up to 2^62 as integers and -0 as 0 (7.4) (7.0: \"%.17g\")",
		Source:      "https://github.com/redis/redis/pull/13115",
	},
}

// LatestSince returns the newest version Since names ("8.0" for
// "7.2, 8.0").
func (d Difference) LatestSince() string {
	v := d.Since
	if i := strings.LastIndex(v, ","); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// DifferenceByID returns the known difference with the given ID.
func DifferenceByID(id string) (Difference, bool) {
	for _, d := range Differences {
		if d.ID == id {
			return d, true
		}
	}
	return Difference{}, false
}
