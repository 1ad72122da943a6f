package persisttest

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// snapshot is what a server reports about its data, one rendered reply
// per line of inquiry, keyed by database, key and what was asked
// ("db0 \"s1\" xinfo"). Two servers hold the same data when their
// snapshots are equal.
type snapshot map[string]string

// The fields of XINFO STREAM key FULL that redis-server 7.0 reports, at
// each level, in its order. Comparisons across servers (fieldsRedis70)
// keep exactly these: Pelican reports as Redis 8.10 and adds fields 7.0
// does not know (the stream's idmp-duration, idmp-maxsize, pids-tracked,
// iids-*; the group's nacked-count; the consumer's active-time, added in
// Redis 7.2). Those cannot be compared with 7.0, and 7.0 cannot keep them;
// restartEquivalence compares them between Pelican and itself.
var (
	streamFields70   = []string{"length", "radix-tree-keys", "radix-tree-nodes", "last-generated-id", "max-deleted-entry-id", "entries-added", "recorded-first-entry-id", "entries", "groups"}
	groupFields70    = []string{"name", "last-delivered-id", "entries-read", "lag", "pel-count", "pending", "consumers"}
	consumerFields70 = []string{"name", "seen-time", "pel-count", "pending"}
)

// fields says which fields of XINFO STREAM FULL a snapshot keeps.
type fields int

const (
	// fieldsAll keeps every field the server reports: Pelican against
	// itself.
	fieldsAll fields = iota
	// fieldsRedis70 keeps the fields redis-server 7.0 reports, with the
	// consumers' seen-time.
	fieldsRedis70
	// fieldsRedis70NoSeen is fieldsRedis70 with the consumers' seen-time
	// blanked: redis-server 7.0 sets a consumer's seen-time whenever a
	// replayed XCLAIM, XREADGROUP or XGROUP CREATECONSUMER looks the
	// consumer up, so after it loads an append-only file every consumer
	// was "seen" at load time. Pelican journals the times in an extension
	// 7.0 skips, so only Pelican can keep them.
	fieldsRedis70NoSeen
)

// databases is how many databases a snapshot looks at (Redis's default).
const databases = 16

// takeSnapshot asks the server at c about every key of every database.
// With strict, the server is redis-server 7.0 and reporting a field the
// lists above do not name is an error: the lists are 7.0's whole reply.
func takeSnapshot(t *testing.T, c *redistest.Conn, f fields, strict bool) snapshot {
	t.Helper()
	snap := snapshot{}
	for db := 0; db < databases; db++ {
		mustOK(t, c, "SELECT", strconv.Itoa(db))
		keys := mustDo(t, c, "KEYS", "*")
		names := make([]string, 0, len(keys.Elems))
		for _, k := range keys.Elems {
			names = append(names, k.Str)
		}
		sort.Strings(names)
		for _, key := range names {
			snapKey(t, c, snap, fmt.Sprintf("db%d %q", db, key), key, f, strict)
		}
	}
	mustOK(t, c, "SELECT", "0")
	return snap
}

func snapKey(t *testing.T, c *redistest.Conn, snap snapshot, at, key string, f fields, strict bool) {
	t.Helper()
	typ := mustDo(t, c, "TYPE", key).Str
	snap[at+" type"] = typ
	snap[at+" pexpiretime"] = mustDo(t, c, "PEXPIRETIME", key).String()
	switch typ {
	case "string":
		snap[at+" value"] = mustDo(t, c, "GET", key).String()
	case "list":
		snap[at+" value"] = mustDo(t, c, "LRANGE", key, "0", "-1").String()
	case "set":
		// Set order depends on the encoding and hashing, not the data.
		snap[at+" value"] = sortedElems(mustDo(t, c, "SMEMBERS", key), 1).String()
	case "hash":
		snap[at+" value"] = sortedElems(mustDo(t, c, "HGETALL", key), 2).String()
	case "zset":
		snap[at+" value"] = numericScores(mustDo(t, c, "ZRANGE", key, "0", "-1", "WITHSCORES")).String()
		snap[at+" encoding"] = mustDo(t, c, "OBJECT", "ENCODING", key).String()
	case "stream":
		snapStream(t, c, snap, at, key, f, strict)
	default:
		t.Errorf("%s: type %s is not in the workload", at, typ)
	}
}

func snapStream(t *testing.T, c *redistest.Conn, snap snapshot, at, key string, f fields, strict bool) {
	t.Helper()
	snap[at+" xrange"] = mustDo(t, c, "XRANGE", key, "-", "+").String()
	full := mustDo(t, c, "XINFO", "STREAM", key, "FULL")
	if f != fieldsAll {
		var extra []string
		full = projectStream(full, f, &extra)
		if strict && len(extra) > 0 {
			t.Errorf("%s: redis-server %s reports fields the test does not list: %q", at, redisVersion, extra)
		}
	}
	snap[at+" xinfo full"] = full.Pretty()
	groups := mustDo(t, c, "XINFO", "GROUPS", key)
	for _, g := range groups.Elems {
		name, _ := g.Field("name")
		gat := fmt.Sprintf("%s group %q", at, name.Str)
		snap[gat+" xpending"] = mustDo(t, c, "XPENDING", key, name.Str).String()
		ext := mustDo(t, c, "XPENDING", key, name.Str, "-", "+", "1000")
		for i := range ext.Elems {
			if len(ext.Elems[i].Elems) == 4 {
				// The idle time is the clock minus the delivery time,
				// which XINFO STREAM FULL gives exactly.
				ext.Elems[i].Elems[2].Placeholder = "idle"
			}
		}
		snap[gat+" xpending extended"] = ext.String()
	}
}

// projectStream keeps the fields of a RESP2 XINFO STREAM FULL reply that
// redis-server 7.0 reports, in 7.0's order, and appends the names of the
// others to extra.
func projectStream(full redistest.Reply, f fields, extra *[]string) redistest.Reply {
	return project(full, streamFields70, extra, func(name string, v redistest.Reply) redistest.Reply {
		if name != "groups" {
			return v
		}
		for i, g := range v.Elems {
			v.Elems[i] = project(g, groupFields70, extra, func(name string, v redistest.Reply) redistest.Reply {
				if name != "consumers" {
					return v
				}
				for j, cons := range v.Elems {
					v.Elems[j] = project(cons, consumerFields70, extra, func(name string, v redistest.Reply) redistest.Reply {
						if name == "seen-time" && f == fieldsRedis70NoSeen {
							v.Placeholder = "seen-time not compared"
						}
						return v
					})
				}
				return v
			})
		}
		return v
	})
}

// project returns the map-like reply r (alternating names and values)
// with the named fields only, in the order given, each value passed
// through sub. A missing field shows as an error value.
func project(r redistest.Reply, names []string, extra *[]string, sub func(string, redistest.Reply) redistest.Reply) redistest.Reply {
	out := redistest.Reply{Kind: r.Kind}
	for _, n := range names {
		v, ok := r.Field(n)
		if !ok {
			v = redistest.Reply{Kind: redistest.KindError, Str: "field missing"}
		} else {
			v = sub(n, v)
		}
		out.Elems = append(out.Elems, redistest.Reply{Kind: redistest.KindBulk, Str: n}, v)
	}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		if n := r.Elems[i].Str; !slices.Contains(names, n) && !slices.Contains(*extra, n) {
			*extra = append(*extra, n)
		}
	}
	return out
}

// sortedElems returns r with its elements sorted in groups of n (n=2
// keeps hash fields with their values).
func sortedElems(r redistest.Reply, n int) redistest.Reply {
	var groups [][]redistest.Reply
	for i := 0; i+n <= len(r.Elems); i += n {
		groups = append(groups, r.Elems[i:i+n])
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i][0].Str < groups[j][0].Str })
	out := redistest.Reply{Kind: r.Kind}
	for _, g := range groups {
		out.Elems = append(out.Elems, g...)
	}
	return out
}

// compareSnapshots fails the test when got differs from want.
func compareSnapshots(t *testing.T, what string, got, want snapshot) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the reference snapshot is empty", what)
	}
	if diff := snapshotDiff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// snapshotDiff returns cmp.Diff(want, got).
func snapshotDiff(want, got snapshot) string { return cmp.Diff(want, got) }

// mustDo runs a command and fails the test on an error reply.
func mustDo(t *testing.T, c *redistest.Conn, args ...string) redistest.Reply {
	t.Helper()
	r := c.MustDo(t, args...)
	if r.IsError() {
		t.Fatalf("%s: %s", strings.Join(args, " "), r)
	}
	return r
}

// mustOK runs a command that must reply +OK.
func mustOK(t *testing.T, c *redistest.Conn, args ...string) {
	t.Helper()
	if r := mustDo(t, c, args...); r.String() != "+OK" {
		t.Fatalf("%s = %s, want +OK", strings.Join(args, " "), r)
	}
}

// times are a consumer's seen-time and active-time (-1 when the server
// does not report it).
type times struct{ seen, active int64 }

// consumerTimes returns the times of every consumer of every stream,
// keyed "db key group consumer".
func consumerTimes(t *testing.T, c *redistest.Conn) map[string]times {
	t.Helper()
	out := map[string]times{}
	for db := 0; db < databases; db++ {
		mustOK(t, c, "SELECT", strconv.Itoa(db))
		for _, k := range mustDo(t, c, "KEYS", "*").Elems {
			if mustDo(t, c, "TYPE", k.Str).Str != "stream" {
				continue
			}
			full := mustDo(t, c, "XINFO", "STREAM", k.Str, "FULL")
			groups, _ := full.Field("groups")
			for _, g := range groups.Elems {
				gname, _ := g.Field("name")
				consumers, _ := g.Field("consumers")
				for _, cons := range consumers.Elems {
					name, _ := cons.Field("name")
					seen, _ := cons.Field("seen-time")
					ts := times{seen: seen.Int, active: -1}
					if active, ok := cons.Field("active-time"); ok {
						ts.active = active.Int
					}
					out[fmt.Sprintf("db%d %s %s %s", db, k.Str, gname.Str, name.Str)] = ts
				}
			}
		}
	}
	mustOK(t, c, "SELECT", "0")
	return out
}

// numericScores rewrites the scores of a ZRANGE WITHSCORES reply in Go's
// shortest form, so that Redis 7.0's "%.17g" and the shortest form Pelican
// prints, as Redis 7.2 and later do, compare as the numbers they denote.
func numericScores(r redistest.Reply) redistest.Reply {
	elems := append([]redistest.Reply(nil), r.Elems...)
	for i := 1; i < len(elems); i += 2 {
		f, err := strconv.ParseFloat(elems[i].Str, 64)
		if err == nil && !math.IsInf(f, 0) {
			elems[i].Str = strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	r.Elems = elems
	return r
}
