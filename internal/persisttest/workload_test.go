package persisttest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// workload runs commands on one server, failing the test on an error
// reply, and remembers the stream IDs the later commands refer to.
type workload struct {
	t *testing.T
	c *redistest.Conn
}

func (w *workload) do(args ...string) redistest.Reply {
	w.t.Helper()
	return mustDo(w.t, w.c, args...)
}

// readIDs returns the entry IDs of an XREADGROUP or XREAD reply for one
// stream.
func readIDs(r redistest.Reply) []string {
	var ids []string
	if len(r.Elems) == 0 {
		return nil
	}
	for _, e := range r.Elems[0].Elems[1].Elems {
		ids = append(ids, e.Elems[0].Str)
	}
	return ids
}

// rangeIDs returns the entry IDs of an XRANGE reply.
func rangeIDs(r redistest.Reply) []string {
	var ids []string
	for _, e := range r.Elems {
		ids = append(ids, e.Elems[0].Str)
	}
	return ids
}

// runWorkload writes a bit of everything the append-only files must carry
// across: strings with TTLs, numbers, hashes, lists, sets, streams with
// trims, deletions, consumer groups in every state, scripts,
// transactions, several databases, and keys that expire while it runs.
// It ends with a write, after which every effect (and the consumers'
// times Pelican journals with the next write) is in the files.
func runWorkload(t *testing.T, c *redistest.Conn) {
	t.Helper()
	w := &workload{t: t, c: c}
	w.strings()
	w.collections()
	w.streams()
	w.scriptsAndTransactions()
	w.otherDatabases()
	w.waitLazyExpiry("lazy", "lazy:px")
	w.do("SET", "workload:done", "1")
}

func (w *workload) strings() {
	w.do("SET", "str:plain", "hello")
	w.do("APPEND", "str:plain", " world")
	w.do("SET", "str:ex", "v", "EX", "1000")
	w.do("SET", "str:px", "v", "PX", "500000")
	w.do("SETEX", "str:setex", "2000", "x")
	w.do("SET", "str:expire", "v")
	w.do("EXPIRE", "str:expire", "3000")
	w.do("SET", "str:persist", "v", "EX", "100")
	w.do("PERSIST", "str:persist")
	w.do("SET", "str:keepttl", "a", "EX", "700")
	w.do("SET", "str:keepttl", "b", "KEEPTTL")
	w.do("SET", "cnt", "10")
	w.do("INCR", "cnt")
	w.do("INCRBY", "cnt", "5")
	w.do("DECR", "cnt")
	w.do("INCRBYFLOAT", "float", "1.5")
	w.do("INCRBYFLOAT", "float", "0.1")
	w.do("INCRBYFLOAT", "float", "3.0e3")
	w.do("SET", "float:ttl", "1", "EX", "900")
	w.do("INCRBYFLOAT", "float:ttl", "2.25")
	w.do("SET", "tmp", "v", "EX", "800")
	w.do("RENAME", "tmp", "renamed")
	w.do("SET", "gone", "v")
	w.do("DEL", "gone")
	w.do("MSET", "m:a", "1", "m:b", "2")
	w.do("UNLINK", "m:b")
	w.do("SETNX", "m:a", "ignored")
	w.do("GETSET", "m:a", "3")
	w.do("PSETEX", "str:psetex", "700000", "p")
	w.do("SET", "str:getex", "v")
	w.do("GETEX", "str:getex", "PX", "800000")
	w.do("SET", "str:getdel", "v")
	w.do("GETDEL", "str:getdel")
	w.do("SET", "str:pexpireat", "v")
	w.do("PEXPIREAT", "str:pexpireat", strconv.FormatInt(time.Now().UnixMilli()+900000, 10))
	// Expire while the workload runs: nothing reads them until
	// waitLazyExpiry, so they go by lazy (or Pelican's active) expiry.
	w.do("SET", "lazy", "v")
	w.do("PEXPIRE", "lazy", "30")
	w.do("SET", "lazy:px", "v", "PX", "30")
}

func (w *workload) collections() {
	w.do("HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3")
	w.do("HDEL", "h", "f2")
	w.do("HINCRBY", "h", "n", "3")
	w.do("HINCRBYFLOAT", "h", "fl", "2.5")
	w.do("HSETNX", "h", "f1", "ignored")
	w.do("EXPIRE", "h", "4000")
	w.do("RPUSH", "l", "a", "b", "c", "d", "e")
	w.do("LPUSH", "l", "z")
	w.do("LPOP", "l")
	w.do("RPOP", "l", "2")
	w.do("RPUSHX", "l", "f")
	w.do("LPUSHX", "nolist", "f")
	w.do("RPUSH", "l2", "x", "y", "z")
	w.do("EXPIREAT", "l2", strconv.FormatInt(time.Now().Unix()+6000, 10))
	w.do("SADD", "set", "a", "b", "c", "d", "e", "f")
	w.do("SREM", "set", "b", "nope")
	w.do("SADD", "iset", "1", "2", "3")
	w.do("SREM", "iset", "2")
	w.sortedSets()
}

// sortedSets leaves a small sorted set (a listpack), a large one (a
// skiplist), one with a long member, one from ZRANGESTORE, and one that
// expires.
func (w *workload) sortedSets() {
	w.do("ZADD", "z", "1", "a", "2.5", "b", "0.1", "c", "-inf", "d", "1e20", "e")
	w.do("ZADD", "z", "GT", "CH", "3", "a", "1", "b")
	w.do("ZINCRBY", "z", "0.25", "c")
	w.do("ZADD", "z", "INCR", "-1", "f")
	w.do("ZREM", "z", "e", "nope")
	w.do("ZPOPMIN", "z")
	args := []string{"ZADD", "zbig"}
	for i := 0; i < 200; i++ {
		args = append(args, strconv.Itoa(i%37)+"."+strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	w.do(args...)
	w.do("ZREMRANGEBYSCORE", "zbig", "(10", "12")
	w.do("ZREMRANGEBYRANK", "zbig", "0", "4")
	w.do("ZPOPMAX", "zbig", "3")
	w.do("ZADD", "zlong", "1", "a", "-0", strings.Repeat("x", 100))
	w.do("ZRANGESTORE", "zcopy", "zbig", "5", "10", "BYSCORE", "LIMIT", "0", "20")
	w.do("ZADD", "zttl", "1", "a")
	w.do("EXPIRE", "zttl", "5000")
}

func (w *workload) streams() {
	// s1: approximate trims remove whole nodes as entries are added.
	for i := 0; i < 250; i++ {
		w.do("XADD", "s1", "MAXLEN", "~", "120", "*", "n", strconv.Itoa(i))
	}
	w.do("XTRIM", "s1", "MAXLEN", "110")
	ids := rangeIDs(w.do("XRANGE", "s1", "-", "+"))
	w.do("XDEL", "s1", ids[3], ids[4])
	w.do("XGROUP", "CREATE", "s1", "g-new", "$")
	w.do("XGROUP", "CREATE", "s1", "g-all", "0")
	w.do("XADD", "s1", "*", "n", "late1")
	w.do("XADD", "s1", "*", "n", "late2")

	alice := readIDs(w.do("XREADGROUP", "GROUP", "g-all", "alice", "COUNT", "3", "STREAMS", "s1", ">"))
	bob := readIDs(w.do("XREADGROUP", "GROUP", "g-all", "bob", "COUNT", "4", "STREAMS", "s1", ">"))
	w.do("XREADGROUP", "GROUP", "g-all", "carol", "COUNT", "2", "NOACK", "STREAMS", "s1", ">")
	// History reads deliver again: alice's delivery counts rise to 2,
	// and her first entry's to 3.
	w.do("XREADGROUP", "GROUP", "g-all", "alice", "STREAMS", "s1", "0")
	w.do("XREADGROUP", "GROUP", "g-all", "alice", "COUNT", "1", "STREAMS", "s1", "0")
	w.do("XREADGROUP", "GROUP", "g-new", "nick", "STREAMS", "s1", ">")

	w.do("XCLAIM", "s1", "g-all", "alice", "0", bob[0])
	w.do("XCLAIM", "s1", "g-all", "dave", "0", bob[1], "RETRYCOUNT", "7")
	w.do("XAUTOCLAIM", "s1", "g-all", "erin", "0", "0-0", "COUNT", "2")
	w.do("XACK", "s1", "g-all", bob[3])
	w.do("XGROUP", "CREATECONSUMER", "s1", "g-all", "frank")
	w.do("XGROUP", "CREATECONSUMER", "s1", "g-all", "carol-too")
	w.do("XGROUP", "DELCONSUMER", "s1", "g-all", "carol-too")
	// A pending entry whose stream entry is gone.
	w.do("XDEL", "s1", alice[1])

	w.do("XGROUP", "CREATE", "s1", "g-set", "0")
	w.do("XGROUP", "SETID", "s1", "g-set", ids[50])
	w.do("XREADGROUP", "GROUP", "g-set", "gina", "COUNT", "2", "STREAMS", "s1", ">")
	w.do("XGROUP", "CREATE", "s1", "g-read", "0")
	w.do("XGROUP", "SETID", "s1", "g-read", ids[60], "ENTRIESREAD", "42")

	// s2: XSETID moves the last ID and the counters.
	w.do("XADD", "s2", "1-1", "a", "1")
	w.do("XADD", "s2", "2-1", "a", "2")
	w.do("XADD", "s2", "3-1", "a", "3")
	w.do("XDEL", "s2", "3-1")
	w.do("XSETID", "s2", "10-0", "ENTRIESADDED", "12", "MAXDELETEDID", "5-0")

	// An empty stream with a group, and a stream trimmed to nothing
	// under a pending entry.
	w.do("XGROUP", "CREATE", "s-empty", "g", "$", "MKSTREAM")
	w.do("XADD", "s3", "5-1", "a", "1")
	w.do("XADD", "s3", "6-1", "a", "2")
	w.do("XGROUP", "CREATE", "s3", "g", "0")
	w.do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s3", ">")
	w.do("XTRIM", "s3", "MAXLEN", "0")
}

func (w *workload) scriptsAndTransactions() {
	w.do("EVAL", `redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], 600000)
redis.call('XADD', KEYS[2], '*', 'from', 'lua')
return redis.call('INCR', KEYS[3])`, "3", "lua:str", "s1", "lua:cnt", "v")
	w.do("EVAL", `return redis.call('XREADGROUP', 'GROUP', 'g-all', 'lua-reader', 'COUNT', '1', 'STREAMS', KEYS[1], '>')`, "1", "s1")
	w.do("MULTI")
	for _, cmd := range [][]string{
		{"SET", "m1", "a"},
		{"XADD", "s1", "*", "tx", "1"},
		{"HSET", "h", "tx", "1"},
		{"XREADGROUP", "GROUP", "g-new", "nick", "COUNT", "1", "STREAMS", "s1", ">"},
		{"INCRBYFLOAT", "float", "-0.25"},
	} {
		if r := w.c.MustDo(w.t, cmd...); r.String() != "+QUEUED" {
			w.t.Fatalf("%s in MULTI = %s", strings.Join(cmd, " "), r)
		}
	}
	if r := w.do("EXEC"); len(r.Elems) != 5 {
		w.t.Fatalf("EXEC = %s", r)
	}
}

func (w *workload) otherDatabases() {
	w.do("SELECT", "1")
	w.do("SET", "db1:key", "x", "EX", "5000")
	w.do("XADD", "s9", "*", "a", "1")
	w.do("XADD", "s9", "*", "a", "2")
	w.do("XGROUP", "CREATE", "s9", "g", "0")
	w.do("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s9", ">")
	w.do("RPUSH", "l", "db1")
	w.do("SELECT", "5")
	w.do("HSET", "h", "x", "y")
	w.do("SADD", "set", "db5")
	w.do("SELECT", "0")
}

// waitLazyExpiry polls the keys, which have a TTL of a few milliseconds,
// until each is gone.
func (w *workload) waitLazyExpiry(keys ...string) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, k := range keys {
		for w.do("EXISTS", k).Int != 0 {
			if time.Now().After(deadline) {
				w.t.Fatalf("%s has not expired", k)
			}
			time.Sleep(pollInterval)
		}
	}
}
