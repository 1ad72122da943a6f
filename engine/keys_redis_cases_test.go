package engine_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// diffCases are the command sequences the differential test runs.
func diffCases() []diffCase {
	var cases []diffCase
	cases = append(cases, keyDiffCases()...)
	cases = append(cases, globDiffCase(), expiredDiffCase(), watchDiffCase())
	cases = append(cases, stringDiffCases()...)
	cases = append(cases, hashDiffCases()...)
	cases = append(cases, setDiffCases()...)
	cases = append(cases, listDiffCases()...)
	return cases
}

// many returns a command with n generated argument groups appended: each
// group is fmt with %d replaced by the index.
func many(cmd string, n int, group string) diffStep {
	args := strings.Fields(cmd)
	for i := range n {
		for _, a := range strings.Fields(group) {
			args = append(args, strings.ReplaceAll(a, "%d", strconv.Itoa(i)))
		}
	}
	return diffStep{args: args}
}

func keyDiffCases() []diffCase {
	return []diffCase{
		{"del exists unlink", []diffStep{
			s("SET a 1"), s("SET b 2"),
			s("EXISTS a a b c"), s("DEL a c"), s("UNLINK b"), s("EXISTS a b"),
			s("DEL"), s("EXISTS"), s("UNLINK"),
		}},
		{"type", []diffStep{
			s("SET s v"), s("RPUSH l a"), s("SADD st m"), s("HSET h f v"), s("XADD x 1-1 f v"),
			s("TYPE s"), s("TYPE l"), s("TYPE st"), s("TYPE h"), s("TYPE x"), s("TYPE nope"),
			s("TYPE"), s("TYPE a b"),
		}},
		{"keys glob", []diffStep{
			s("MSET hello 1 hallo 2 hxllo 3 hllo 4 heeello 5 h*llo 6 h?llo 7 h[llo 8 a] 9 ab 10 a-b 11 x\\y 12"),
			sorted("KEYS *"), sorted("KEYS h?llo"), sorted("KEYS h*llo"), sorted("KEYS h[ae]llo"),
			sorted("KEYS h[^e]llo"), sorted("KEYS h[a-e]llo"), sorted("KEYS h[e-a]llo"),
			sorted("KEYS h\\*llo"), sorted("KEYS h\\?llo"), sorted("KEYS h[\\[]llo"), sorted("KEYS h[llo"),
			sorted("KEYS h[ae"), sorted("KEYS a]"), sorted("KEYS a[]]"), sorted("KEYS a[-]b"), sorted("KEYS a[^"),
			sorted("KEYS *[a-]*"), sorted("KEYS **o"), sorted("KEYS *l*l*"), sorted("KEYS x\\\\y"),
			sorted("KEYS x\\"), sorted("KEYS [^h]*"), sorted("KEYS ["), sorted("KEYS \\"),
			sorted("KEYS nomatch*"), s("KEYS"),
		}},
		{"scan", []diffStep{
			many("MSET", 60, "key:%d %d"), many("RPUSH", 1, "list:%d x"), many("SADD", 1, "set:%d m"),
			scan(""), scan("COUNT 1"), scan("COUNT 7"), scan("COUNT 1000"), scan("MATCH key:1*"),
			scan("MATCH key:1* COUNT 5"), scan("MATCH *"), scan("TYPE string"), scan("TYPE list"),
			scan("type SET"), scan("TYPE zset"), scan("TYPE nonsense"), scan("match key:2? count 3 type string"),
			s("SCAN abc"), s("SCAN 1x"), s("SCAN 18446744073709551616"), s("SCAN +"),
			s("SCAN 0 COUNT 0"), s("SCAN 0 COUNT -1"), s("SCAN 0 COUNT x"), s("SCAN 0 COUNT"),
			s("SCAN 0 MATCH"), s("SCAN 0 TYPE"), s("SCAN 0 FOO bar"), s("SCAN"),
		}},
		{"hscan sscan", []diffStep{
			// Small collections (a listpack hash, an intset): Redis returns
			// everything in one call with cursor 0, as Pelican always does.
			s("HSET h a 1 b 2 ab 3 c 4"), s("HSCAN h 0"), s("HSCAN h 0 COUNT 1"), s("HSCAN h 0 MATCH a*"),
			s("HSCAN h 0 match *b count 100"), s("HSCAN h 7"), s("HSCAN missing 0"), s("HSCAN missing 0 FOO"),
			s("HSCAN h abc"), s("HSCAN missing abc"), s("HSCAN h 0 COUNT 0"), s("HSCAN h 0 COUNT x"),
			s("HSCAN h 0 COUNT"), s("HSCAN h 0 MATCH"), s("HSCAN h 0 TYPE hash"), s("HSCAN h"),
			s("SADD st 5 3 10 1"), s("SSCAN st 0"), s("SSCAN st 0 MATCH 1*"), s("SSCAN st 0 COUNT 2"),
			s("SSCAN missing 0"), s("SSCAN st x"), s("SSCAN st 0 COUNT -1"), s("SSCAN st 0 NOVALUES"),
			s("SET str v"), s("HSCAN str 0"), s("SSCAN str 0"), s("HSCAN str abc"), s("SSCAN h 0"),
		}},
		{"scan empty and odd cursors", []diffStep{
			{args: []string{"SCAN", ""}}, s("SCAN 0"), s("SCAN +0"), s("SCAN -0"), s("SCAN 00"),
			{args: []string{"SCAN", " 0"}},
		}},
		{"rename", []diffStep{
			s("SET a 1 EX 100"), s("RENAME a b"), s("TTL b"), s("GET a"), s("GET b"), s("EXISTS a"),
			s("RENAME missing x"), s("RENAME b b"), s("RENAME missing missing"),
			s("RENAMENX b c"), s("SET d 1"), s("RENAMENX c d"), s("RENAMENX c c"), s("RENAMENX nope x"),
			s("RENAME c d"), s("GET d"), s("TTL d"), s("EXISTS c"),
			s("RPUSH l x"), s("SET s v"), s("RENAME s l"), s("TYPE l"), s("GET l"),
			s("RENAME a"), s("RENAME a b c"),
		}},
		{"expire options", []diffStep{
			s("SET k v"), s("EXPIRE k 100"), s("TTL k"), s("EXPIRE k 50 GT"), s("EXPIRE k 200 GT"), s("TTL k"),
			s("EXPIRE k 300 LT"), s("EXPIRE k 10 LT"), s("TTL k"), s("EXPIRE k 10 NX"), s("PERSIST k"),
			s("EXPIRE k 10 XX"), s("EXPIRE k 10 GT"), s("EXPIRE k 10 LT"), s("TTL k"),
			s("EXPIRE k 20 XX"), s("TTL k"), s("EXPIRE k 10 xx gt"), s("EXPIRE k 30 xx gt"), s("TTL k"), s("EXPIRE k 10 xx lt"), s("TTL k"),
			s("PERSIST k"), s("EXPIRE k 10 NX"), s("TTL k"),
			s("EXPIRE k 10 NX XX"), s("EXPIRE k 10 GT LT"), s("EXPIRE k 10 nx lt"), s("EXPIRE k 10 nx gt"),
			s("EXPIRE k 10 FOO"), s("EXPIRE k 10 NX FOO"), s("EXPIRE k abc"), s("EXPIRE k abc NX XX"),
			s("EXPIRE missing 10"), s("EXPIRE missing abc"), s("EXPIRE k"),
		}},
		{"expire limits and past", []diffStep{
			s("SET k v"), s("EXPIRE k 9223372036854775807"), s("EXPIRE k -9223372036854775808"),
			s("EXPIRE k 9223372036854776"), s("PEXPIRE k 9223372036854775807"),
			s("EXPIREAT k 9223372036854775"), s("EXPIRETIME k"), s("PEXPIRETIME k"),
			s("PEXPIREAT k 9223372036854775807"), s("PEXPIRETIME k"),
			s("PEXPIREAT k 99999999999999"), s("PEXPIRETIME k"), s("EXPIRETIME k"),
			s("PEXPIREAT k 1"), s("EXISTS k"), s("SET k v"), s("EXPIRE k -1"), s("EXISTS k"),
			s("SET k v"), s("EXPIRE k 0"), s("EXISTS k"), s("SET k v"), s("PEXPIRE k -100"), s("GET k"),
			s("SET k v"), s("EXPIREAT k 1 GT"), s("EXPIREAT k 1 LT"), s("EXISTS k"),
		}},
		{"ttl family", []diffStep{
			s("TTL missing"), s("PTTL missing"), s("EXPIRETIME missing"), s("PEXPIRETIME missing"),
			s("SET k v"), s("TTL k"), s("PTTL k"), s("EXPIRETIME k"), s("PEXPIRETIME k"),
			s("PEXPIREAT k 99999999999499"), s("EXPIRETIME k"), s("PEXPIREAT k 99999999999500"), s("EXPIRETIME k"),
			s("PERSIST k"), s("PERSIST k"), s("PERSIST missing"), s("TTL k"),
			s("TTL"), s("PERSIST"),
		}},
		{"flush and dbsize", []diffStep{
			s("SET a 1"), s("SELECT 1"), s("SET b 2"), s("SET c 3"), s("DBSIZE"), s("FLUSHDB"), s("DBSIZE"),
			s("SELECT 0"), s("DBSIZE"), s("FLUSHDB ASYNC"), s("FLUSHDB sync"), s("FLUSHDB foo"), s("FLUSHDB a b"),
			s("SET a 1"), s("SELECT 2"), s("SET z 1"), s("FLUSHALL"), s("DBSIZE"), s("SELECT 0"), s("DBSIZE"),
			s("FLUSHALL ASYNC"), s("FLUSHALL SYNC"), s("FLUSHALL x"), s("FLUSHALL x y"), s("DBSIZE x"),
		}},
		{"empty key name", []diffStep{
			{args: []string{"SET", "", "v"}}, s("SET a v"), sorted("KEYS *"), sorted("KEYS **"), sorted("KEYS ?*"),
			scan("MATCH *"), scan("MATCH **"), {args: []string{"GET", ""}}, {args: []string{"RENAME", "", "b"}}, s("GET b"),
		}},
		{"touch and randomkey", []diffStep{
			s("RANDOMKEY"), s("SET only 1"), s("RANDOMKEY"), s("TOUCH only only missing"), s("RANDOMKEY x"),
		}},
	}
}

func stringDiffCases() []diffCase {
	return []diffCase{
		{"get set basics", []diffStep{
			s("GET k"), s("SET k v"), s("GET k"), s("SET k v2"), s("GET k"), {args: []string{"SET", "e", ""}}, s("GET e"),
			s("GET"), s("GET a b"), s("SET k"), s("RPUSH l x"), s("GET l"),
		}},
		{"set nx xx get", []diffStep{
			s("SET k v NX"), s("SET k v2 NX"), s("GET k"), s("SET k v3 XX"), s("SET m v XX"), s("GET m"),
			s("SET k v NX XX"), s("SET k v XX NX"), s("SET k v nx nx"), s("SET k v xx xx"),
			s("SET k v4 GET"), s("SET k v5 NX GET"), s("GET k"), s("SET m v XX GET"), s("EXISTS m"),
			s("SET n v NX GET"), s("GET n"), s("SET n v GET GET"),
			s("RPUSH l x"), s("SET l v GET"), s("TYPE l"), s("SET l v"), s("TYPE l"),
		}},
		{"set expiry options", []diffStep{
			s("SET k v EX 100"), s("TTL k"), s("SET k v PX 100000"), s("TTL k"), s("SET k v EX 100 EX 200"), s("TTL k"),
			s("SET k v2 KEEPTTL"), s("TTL k"), s("GET k"), s("SET k v3"), s("TTL k"),
			s("SET k v EXAT 99999999999"), s("EXPIRETIME k"), s("SET k v PXAT 99999999999999"), s("PEXPIRETIME k"),
			s("SET k v EX 10 PX 10"), s("SET k v PX 10 EX 10"), s("SET k v EX 10 EXAT 10"), s("SET k v PXAT 10 PX 10"),
			s("SET k v KEEPTTL EX 10"), s("SET k v EX 10 KEEPTTL"), s("SET k v KEEPTTL KEEPTTL"),
			s("SET k v EX"), s("SET k v PX"), s("SET k v EXAT"), s("SET k v PERSIST"), s("SET k v FOO"),
			s("SET k v EX 0"), s("SET k v EX -1"), s("SET k v PX 0"), s("SET k v EXAT 0"), s("SET k v PXAT -5"),
			s("SET k v EX abc"), s("SET k v EX 1.5"), s("SET k v EX 9223372036854775807"), s("SET k v EX 9223372036854776"),
			s("SET k v PX 9223372036854775807"), s("SET k v EXAT 9223372036854776"), s("SET k v PXAT 9223372036854775807"),
			s("PEXPIRETIME k"), s("SET k v PXAT 1"), s("GET k"), s("EXISTS k"),
			s("SET k v EX 10 NX GET"), s("SET k v EX 0 GET"),
		}},
		{"setnx setex psetex", []diffStep{
			s("SETNX k v"), s("SETNX k v2"), s("GET k"), s("SETEX k 100 v3"), s("TTL k"), s("GET k"),
			s("PSETEX k 100000 v4"), s("TTL k"), s("SETEX k 0 v"), s("SETEX k -1 v"), s("SETEX k abc v"),
			s("PSETEX k 0 v"), s("PSETEX k 9223372036854775807 v"), s("SETEX k 9223372036854775807 v"), s("SETNX k"), s("SETEX k 1"),
			s("RPUSH l x"), s("SETNX l v"), s("SETEX l 10 v"), s("TYPE l"),
		}},
		{"mget mset msetnx", []diffStep{
			s("MSET a 1 b 2 c 3"), s("MGET a b c missing"), s("RPUSH l x"), s("MGET a l"),
			s("MSET a"), s("MSET a 1 b"), s("MSET a 10 a 11"), s("GET a"),
			s("MSETNX x 1 y 2"), s("MSETNX y 3 z 4"), s("MGET x y z"), s("MSETNX q"), s("MSETNX q 1 r"),
			s("MSETNX l 1"), s("MGET"), s("MSETNX k 1 k 2"), s("GET k"),
		}},
		{"incr decr", []diffStep{
			s("INCR n"), s("INCR n"), s("INCRBY n 10"), s("DECR n"), s("DECRBY n 5"), s("INCRBY n -20"), s("GET n"),
			s("SET s abc"), s("INCR s"), s("SET s 1.5"), s("INCR s"), {args: []string{"SET", "s", " 1"}}, s("INCR s"),
			s("SET s 01"), s("INCR s"), s("SET s +1"), s("INCR s"), s("SET s -0"), s("INCR s"), {args: []string{"SET", "s", ""}}, s("INCR s"),
			s("SET s 9223372036854775807"), s("INCR s"), s("INCRBY s 0"), s("DECRBY s -1"),
			s("SET s -9223372036854775808"), s("DECR s"), s("INCRBY s -1"), s("GET s"),
			s("DECRBY s -9223372036854775808"), s("DECRBY n -9223372036854775808"), s("INCRBY n -9223372036854775808"),
			s("INCRBY n abc"), s("INCRBY n 99999999999999999999"), s("DECRBY n 1.0"),
			s("RPUSH l x"), s("INCR l"), s("DECRBY l 1"), s("INCR"), s("INCRBY n"),
			s("SET t 5 EX 100"), s("INCR t"), s("TTL t"),
		}},
		{"incrbyfloat", []diffStep{
			s("INCRBYFLOAT f 10.5"), s("INCRBYFLOAT f 0.1"), s("INCRBYFLOAT f -5.6"), s("INCRBYFLOAT f 5.0e3"),
			s("INCRBYFLOAT f 2.0e2"), s("INCRBYFLOAT f -5200"), s("GET f"), s("INCRBYFLOAT g 3.14159265358979323846"),
			s("INCRBYFLOAT h 1.1"), s("INCRBYFLOAT h 2.2"), s("INCRBYFLOAT i 1e300"), s("INCRBYFLOAT i 1e300"),
			s("INCRBYFLOAT huge 1e4932"), s("INCRBYFLOAT huge 1e4932"), s("INCRBYFLOAT huge -1e4932"), s("INCRBYFLOAT tiny 1e-4940"),
			s("INCRBYFLOAT small 1e-17"), s("INCRBYFLOAT small 1e-18"), s("INCRBYFLOAT neg -1e-18"),
			s("INCRBYFLOAT j 0x10"), s("INCRBYFLOAT j 0x1.8p1"), s("INCRBYFLOAT j .5"), s("INCRBYFLOAT j 5."),
			s("INCRBYFLOAT j -0"), s("INCRBYFLOAT z -0.0"), s("INCRBYFLOAT z 1e-20"),
			s("INCRBYFLOAT f inf"), s("INCRBYFLOAT f -infinity"), s("INCRBYFLOAT f nan"), s("INCRBYFLOAT f 1e5000"),
			s("INCRBYFLOAT f abc"), s("INCRBYFLOAT f 1e"), s("INCRBYFLOAT f 0x"), {args: []string{"INCRBYFLOAT", "f", " 1"}},
			{args: []string{"INCRBYFLOAT", "f", "1 "}}, {args: []string{"INCRBYFLOAT", "f", ""}},
			s("SET s abc"), s("INCRBYFLOAT s 1"), s("SET s 7"), s("INCRBYFLOAT s 1"), s("SET s inf"), s("INCRBYFLOAT s 1"),
			s("RPUSH l x"), s("INCRBYFLOAT l 1"), s("INCRBYFLOAT l"),
			s("SET t 5 EX 100"), s("INCRBYFLOAT t 1.5"), s("TTL t"),
		}},
		{"append strlen", []diffStep{
			s("APPEND k abc"), s("APPEND k def"), s("GET k"), s("STRLEN k"), s("STRLEN missing"),
			s("SET n 12"), s("APPEND n 3"), s("INCR n"), s("RPUSH l x"), s("APPEND l x"), s("STRLEN l"),
			s("APPEND k"), s("STRLEN"),
		}},
		{"getdel getset getex", []diffStep{
			s("SET k v"), s("GETDEL k"), s("GETDEL k"), s("EXISTS k"), s("RPUSH l x"), s("GETDEL l"),
			s("SET k v EX 100"), s("GETSET k v2"), s("TTL k"), s("GETSET missing v"), s("GET missing"), s("GETSET l v"),
			s("GETEX nope"), s("GETEX nope EX 0"), s("GETEX k"), s("GETEX k EX 100"), s("TTL k"), s("GETEX k PERSIST"), s("TTL k"),
			s("GETEX k PX 100000"), s("TTL k"), s("GETEX k EXAT 99999999999"), s("EXPIRETIME k"),
			s("GETEX k PXAT 99999999999999"), s("PEXPIRETIME k"), s("GETEX k PERSIST"), s("PERSIST k"),
			s("GETEX k EX 10 PX 10"), s("GETEX k PERSIST EX 10"), s("GETEX k EX 10 PERSIST"), s("GETEX k KEEPTTL"),
			s("GETEX k NX"), s("GETEX k GET"), s("GETEX k EX"), s("GETEX k EX 0"), s("GETEX k EX abc"),
			s("GETEX l"), s("GETEX l EX 0"), s("GETEX k PXAT 1"), s("EXISTS k"), s("GETEX"),
		}},
	}
}

func hashDiffCases() []diffCase {
	return []diffCase{
		{"hset hget hgetall", []diffStep{
			s("HSET h a 1 b 2"), s("HSET h a 3 c 4"), s("HGETALL h"), s("HKEYS h"), s("HVALS h"),
			s("HGET h a"), s("HGET h nope"), s("HGET missing a"), s("HMGET h a nope c"), s("HMGET missing a b"),
			s("HSET h"), s("HSET h a"), s("HSET h a 1 b"), s("HMSET h x 1 y"), s("HMSET h x 1"), s("HGETALL h"),
			s("HGETALL missing"), s("HKEYS missing"), s("HVALS missing"),
		}},
		{"hash wrong type", []diffStep{
			s("SET s v"), s("HSET s a 1"), s("HGET s a"), s("HMGET s a"), s("HGETALL s"), s("HKEYS s"), s("HVALS s"),
			s("HDEL s a"), s("HLEN s"), s("HEXISTS s a"), s("HSTRLEN s a"), s("HSETNX s a 1"), s("HINCRBY s a 1"),
			s("HINCRBYFLOAT s a 1"), s("HMSET s a 1"), s("HINCRBY s a x"),
		}},
		{"hdel hlen hexists hstrlen hsetnx", []diffStep{
			s("HSET h a 1 b 22 c 333"), s("HLEN h"), s("HEXISTS h a"), s("HEXISTS h z"), s("HEXISTS missing a"),
			s("HSTRLEN h c"), s("HSTRLEN h z"), s("HSTRLEN missing z"), s("HSETNX h a 9"), s("HSETNX h d 4"), s("HGETALL h"),
			s("HDEL h a z"), s("HDEL missing a"), s("HGETALL h"), s("HDEL h b c d d"), s("EXISTS h"), s("HLEN h"),
			s("HSETNX n f v"), s("HGETALL n"), s("HDEL h"), s("HLEN"),
		}},
		{"hincrby hincrbyfloat", []diffStep{
			s("HINCRBY h n 5"), s("HINCRBY h n -10"), s("HSET h s abc"), s("HINCRBY h s 1"), s("HINCRBY h n x"),
			s("HSET h big 9223372036854775807"), s("HINCRBY h big 1"), s("HSET h small -9223372036854775808"),
			s("HINCRBY h small -1"), s("HINCRBY h n 9223372036854775807"), s("HGETALL h"),
			s("HINCRBYFLOAT h f 1.5"), s("HINCRBYFLOAT h f 0.1"), s("HINCRBYFLOAT h s 1"), s("HINCRBYFLOAT h f abc"),
			s("HINCRBYFLOAT h f inf"), s("HINCRBYFLOAT h n 2.5"), s("HSET h i inf"), s("HINCRBYFLOAT h i 1"),
			s("HINCRBYFLOAT h2 f x"), s("EXISTS h2"), s("HGETALL h"),
		}},
		{"hash order and encodings", []diffStep{
			many("HSET small", 128, "f%d v%d"), s("HGETALL small"), s("HKEYS small"), s("HVALS small"),
			s("HDEL small f5 f77"), s("HSET small f5 again"), s("HGETALL small"),
			many("HSET big", 200, "f%d v%d"), sortedPairs("HGETALL big"), sorted("HKEYS big"), s("HLEN big"),
			s("HSET long a 1 b " + strings.Repeat("x", 65)), sortedPairs("HGETALL long"),
			s("HSET edge a 1 b " + strings.Repeat("x", 64)), s("HGETALL edge"),
		}},
		{"hash resp3", []diffStep{
			s("HELLO 3"), s("HSET h a 1 b 2"), s("HGETALL h"), s("HGETALL missing"), s("HKEYS h"), s("HVALS missing"),
			s("HMGET h a nope"), s("HGET h nope"), s("HEXISTS h a"), s("HINCRBYFLOAT h a 1.5"),
		}},
	}
}

func setDiffCases() []diffCase {
	return []diffCase{
		{"set basics", []diffStep{
			s("SADD s 3 1 2"), s("SADD s 2 4"), s("SMEMBERS s"), s("SCARD s"), s("SISMEMBER s 1"), s("SISMEMBER s 9"),
			s("SMISMEMBER s 1 9 2"), s("SMISMEMBER missing a b"), s("SISMEMBER missing a"), s("SCARD missing"),
			s("SMEMBERS missing"), s("SADD s -5 10 -9223372036854775808 9223372036854775807"), s("SMEMBERS s"),
			s("SREM s 1 9 2"), s("SREM missing a"), s("SMEMBERS s"), s("SADD s"), s("SREM s"), s("SISMEMBER s"),
		}},
		{"set encodings", []diffStep{
			s("SADD t b a c"), sorted("SMEMBERS t"), s("SADD u 1 x 2"), sorted("SMEMBERS u"), s("SREM u x"), sorted("SMEMBERS u"),
			s("SADD v 01 1"), sorted("SMEMBERS v"), s("SADD w 2 1"), s("SADD w a"), sorted("SMEMBERS w"),
			many("SADD ints", 512, "%d"), s("SCARD ints"), s("SMEMBERS ints"), s("SADD ints 600"), sorted("SMEMBERS ints"),
			many("SADD rev", 20, "-1%d"), s("SMEMBERS rev"),
		}},
		{"set delete when empty and wrong type", []diffStep{
			s("SADD s a b"), s("SREM s a b c"), s("EXISTS s"), s("SET str v"), s("SADD str a"), s("SREM str a"),
			s("SISMEMBER str a"), s("SMISMEMBER str a"), s("SMEMBERS str"), s("SCARD str"),
		}},
		{"set resp3", []diffStep{
			s("HELLO 3"), s("SADD s 2 1"), s("SMEMBERS s"), s("SMEMBERS missing"), s("SISMEMBER s 1"),
			s("SMISMEMBER s 1 3"), s("SADD t x"), s("SMEMBERS t"),
		}},
	}
}

func listDiffCases() []diffCase {
	return []diffCase{
		{"push and range", []diffStep{
			s("LPUSH l a b c"), s("RPUSH l d e"), s("LRANGE l 0 -1"), s("LPUSHX missing a"), s("RPUSHX missing a"),
			s("EXISTS missing"), s("LPUSHX l z"), s("RPUSHX l y"), s("LRANGE l 0 -1"), s("LLEN l"), s("LLEN missing"),
			s("LRANGE l 1 2"), s("LRANGE l -3 -1"), s("LRANGE l -100 100"), s("LRANGE l 5 1"), s("LRANGE l 100 200"),
			s("LRANGE l -1 -3"), s("LRANGE l 0 0"), s("LRANGE l -9223372036854775808 9223372036854775807"),
			s("LRANGE l a 1"), s("LRANGE missing a 1"), s("LRANGE missing 0 -1"), s("LRANGE l 0"),
			s("LPUSH l"), s("RPUSHX l"),
		}},
		{"lindex", []diffStep{
			s("RPUSH l a b c"), s("LINDEX l 0"), s("LINDEX l 2"), s("LINDEX l 3"), s("LINDEX l -1"), s("LINDEX l -3"),
			s("LINDEX l -4"), s("LINDEX l -9223372036854775808"), s("LINDEX l abc"), s("LINDEX missing abc"),
			s("LINDEX missing 0"), s("LINDEX l"),
		}},
		{"pop", []diffStep{
			s("RPUSH l a b c d e f"), s("LPOP l"), s("RPOP l"), s("LPOP l 2"), s("RPOP l 1"), s("LPOP l 0"),
			s("LRANGE l 0 -1"), s("LPOP l -1"), s("LPOP l abc"), s("LPOP l 1 2"), s("RPOP l 1 2"),
			s("RPOP l 100"), s("EXISTS l"), s("LPOP l"), s("LPOP l 0"), s("LPOP l 1"), s("RPOP l 5"), s("LPOP missing -1"),
			s("RPUSH m x"), s("LPOP m"), s("EXISTS m"), s("LPOP"),
		}},
		{"list wrong type", []diffStep{
			s("SET s v"), s("LPUSH s a"), s("RPUSH s a"), s("LPUSHX s a"), s("RPUSHX s a"), s("LPOP s"), s("LPOP s 0"),
			s("RPOP s 2"), s("LRANGE s 0 -1"), s("LLEN s"), s("LINDEX s 0"), s("LINDEX s abc"), s("LPOP s -1"),
		}},
		{"list resp3", []diffStep{
			s("HELLO 3"), s("LPOP missing"), s("LPOP missing 1"), s("LPOP missing 0"), s("RPUSH l a b c"),
			s("LPOP l 0"), s("LPOP l 2"), s("RPOP l"), s("LINDEX l 5"), s("LRANGE l 0 -1"), s("GET nope"), s("MGET nope l"),
		}},
		{"long list", []diffStep{
			many("RPUSH l", 1000, "%d"), many("LPUSH l", 1000, "-%d"), s("LLEN l"), s("LRANGE l 995 1005"),
			s("LINDEX l 1500"), s("LPOP l 600"), s("RPOP l 600"), s("LLEN l"), s("LRANGE l 0 -1"),
		}},
	}
}

// globDiffCase matches random patterns against random keys, both drawn
// from an alphabet of glob metacharacters, plain bytes and bytes above
// 0x7f (which C compares as negative chars in ranges).
func globDiffCase() diffCase {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab-^]\\[*?z\x80\xff"
	word := func(maxLen int) string {
		n := rng.IntN(maxLen) + 1
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	mset := diffStep{args: []string{"MSET"}}
	for range 100 {
		mset.args = append(mset.args, word(4), "v")
	}
	steps := []diffStep{mset}
	for range 600 {
		steps = append(steps, diffStep{args: []string{"KEYS", word(5)}, mode: sortElems})
	}
	return diffCase{"random globs", steps}
}

// expiredDiffCase checks that keys past their expiry time are invisible
// to every command before any background expiry could remove them.
func expiredDiffCase() diffCase {
	return diffCase{"expired keys", []diffStep{
		s("SET gone v PXAT 1"), s("SET live v"), s("KEYS *"), scan(""), s("EXISTS gone"), s("TYPE gone"),
		s("TTL gone"), s("GET gone"), s("SET gone v PXAT 1"), s("RENAME gone x"), s("SET gone 5 PXAT 1"), s("INCR gone"),
		s("SET gone v PXAT 1"), s("APPEND gone x"), s("SET gone v PXAT 1"), s("LPUSH gone x"), s("LRANGE gone 0 -1"),
		s("SET gone v PXAT 1"), s("SET gone w NX"), s("GET gone"), s("SET gone v PXAT 1"), s("SET gone w XX"),
		s("SET gone v PXAT 1"), s("MSETNX gone 1"), s("SET gone v PXAT 1"), s("DEL gone"), s("SET gone v PXAT 1"),
		s("EXPIRE gone 100"), s("SET gone v PXAT 1"), s("PERSIST gone"), s("SET gone v PXAT 1"), s("RENAME live gone"),
		s("TTL gone"), s("GET gone"), s("SET gone v PXAT 1"), s("SCAN 0 TYPE none"),
	}}
}

// watchDiffCase checks which writes by another client make a WATCHed
// transaction fail.
func watchDiffCase() diffCase {
	var steps []diffStep
	for _, w := range []struct{ setup, cmd string }{
		{"", "SET k v"}, {"SET k v", "SET k w NX"}, {"", "SET k w XX"}, {"SET k 1", "MSETNX k 2"},
		{"SET k 1", "INCRBY k 0"}, {"SET k v", "APPEND k \"\""}, {"SET k v", "GETEX k"}, {"SET k v", "GETEX k PERSIST"},
		{"SET k v EX 100", "GETEX k PERSIST"}, {"", "DEL k"}, {"SET k v", "EXPIRE k 10 XX"}, {"SET k v", "EXPIRE k -1"},
		{"SET k v", "PERSIST k"}, {"SET k v", "RENAME k k"}, {"SET k v", "RENAME k other"}, {"SET src v", "RENAME src k"},
		{"", "FLUSHALL"}, {"SET k v", "FLUSHDB"}, {"", "LPUSHX k a"}, {"RPUSH k a", "RPOP k 0"}, {"", "LPOP k"},
		{"RPUSH k a", "LPOP k 5"}, {"HSET k f v", "HSETNX k f w"}, {"HSET k f v", "HDEL k g"}, {"HSET k f v", "HSET k f v"},
		{"SADD k m", "SADD k m"}, {"SADD k m", "SREM k x"}, {"SADD k m", "SREM k m"}, {"SET other v", "SET other w"},
	} {
		steps = append(steps, s("FLUSHALL"))
		if w.setup != "" {
			steps = append(steps, s(w.setup))
		}
		cmd := s(w.cmd)
		if strings.Contains(w.cmd, `""`) {
			cmd.args = append(strings.Fields(strings.ReplaceAll(w.cmd, `""`, "")), "")
		}
		cmd.other = true
		steps = append(steps, s("WATCH k"), cmd, s("MULTI"), s("PING"), s("EXEC"))
	}
	return diffCase{"watch", steps}
}
