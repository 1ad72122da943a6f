package engine

import (
	"testing"
	"time"
)

func TestStringCommands(t *testing.T) {
	expireErr := func(name string) string { return errR("ERR invalid expire time in '" + name + "' command") }
	runStepCases(t, []stepCase{
		{"get set", []step{
			{cmd: "GET k", want: nilR},
			{cmd: "SET k v", want: okR},
			{cmd: "GET k", want: bulkR("v")},
			{args: []string{"SET", "bin", "a\x00b\r\n"}, want: okR},
			{cmd: "GET bin", want: bulkR("a\x00b\r\n")},
			{cmd: "RPUSH l x", want: intR(1)},
			{cmd: "GET l", want: wrongR},
			{cmd: "SET l v", want: okR},
			{cmd: "GET l", want: bulkR("v")},
			{cmd: "GET", want: arityR("get")},
			{cmd: "SET k", want: arityR("set")},
		}},
		{"set conditions and get", []step{
			{cmd: "SET k v NX", want: okR},
			{cmd: "SET k w NX", want: nilR},
			{cmd: "SET m v XX", want: nilR},
			{cmd: "SET k w XX", want: okR},
			{cmd: "SET k v NX XX", want: syntaxR},
			{cmd: "SET k x GET", want: bulkR("w")},
			{cmd: "SET k y NX GET", want: bulkR("x")},
			{cmd: "GET k", want: bulkR("x")},
			{cmd: "SET n v XX GET", want: nilR},
			{cmd: "EXISTS n", want: intR(0)},
			{cmd: "RPUSH l a", want: intR(1)},
			{cmd: "SET l v GET", want: wrongR},
			{cmd: "TYPE l", want: "+list\r\n"},
			{cmd: "SET k v BOGUS", want: syntaxR},
		}},
		{"set expiry", []step{
			{cmd: "SET k v EX 10", want: okR},
			{cmd: "PTTL k", want: intR(10000)},
			{cmd: "SET k v PX 2500", want: okR},
			{cmd: "PTTL k", want: intR(2500)},
			{cmd: "SET k w KEEPTTL", want: okR},
			{cmd: "PTTL k", want: intR(2500)},
			{cmd: "SET k w", want: okR},
			{cmd: "PTTL k", want: intR(-1)},
			{cmd: "SET k v EXAT 1800000000", want: okR},
			{cmd: "EXPIRETIME k", want: intR(1800000000)},
			{cmd: "SET k v PXAT 1800000000123", want: okR},
			{cmd: "PEXPIRETIME k", want: intR(1800000000123)},
			{cmd: "SET k v EX 5 EX 6", want: okR},
			{cmd: "TTL k", want: intR(6)},
			{cmd: "SET k v EX 5 PX 5", want: syntaxR},
			{cmd: "SET k v KEEPTTL PXAT 5", want: syntaxR},
			{cmd: "SET k v EX", want: syntaxR},
			{cmd: "SET k v EX 0", want: expireErr("set")},
			{cmd: "SET k v PX -3", want: expireErr("set")},
			{cmd: "SET k v EX 9223372036854776", want: expireErr("set")},
			{cmd: "SET k v PX 9223372036854775807", want: expireErr("set")},
			{cmd: "SET k v EX x", want: notIntR},
			{cmd: "SET k v PX 1000", want: okR},
			{advance: time.Second},
			{cmd: "GET k", want: nilR},
		}},
		{"setnx setex psetex", []step{
			{cmd: "SETNX k v", want: intR(1)},
			{cmd: "SETNX k w", want: intR(0)},
			{cmd: "SETEX k 10 w", want: okR},
			{cmd: "TTL k", want: intR(10)},
			{cmd: "GET k", want: bulkR("w")},
			{cmd: "PSETEX k 1500 x", want: okR},
			{cmd: "PTTL k", want: intR(1500)},
			{cmd: "SETEX k 0 v", want: expireErr("setex")},
			{cmd: "PSETEX k -1 v", want: expireErr("psetex")},
			{cmd: "SETEX k x v", want: notIntR},
		}},
		{"mget mset msetnx", []step{
			{cmd: "MSET a 1 b 2", want: okR},
			{cmd: "RPUSH l x", want: intR(1)},
			{cmd: "MGET a l b nope", want: arrR(bulkR("1"), nilR, bulkR("2"), nilR)},
			{cmd: "MSET a 1 b", want: arityR("mset")},
			{cmd: "MSETNX c 3 a 9", want: intR(0)},
			{cmd: "EXISTS c", want: intR(0)},
			{cmd: "MSETNX c 3 d 4", want: intR(1)},
			{cmd: "MGET c d", want: bulksR("3", "4")},
			{cmd: "MSETNX e", want: arityR("msetnx")},
		}},
		{"incr decr", []step{
			{cmd: "INCR n", want: intR(1)},
			{cmd: "INCRBY n 41", want: intR(42)},
			{cmd: "DECR n", want: intR(41)},
			{cmd: "DECRBY n 50", want: intR(-9)},
			{cmd: "GET n", want: bulkR("-9")},
			{cmd: "SET s 9223372036854775807", want: okR},
			{cmd: "INCR s", want: errR("ERR increment or decrement would overflow")},
			{cmd: "SET s -9223372036854775808", want: okR},
			{cmd: "DECR s", want: errR("ERR increment or decrement would overflow")},
			{cmd: "DECRBY n -9223372036854775808", want: errR("ERR decrement would overflow")},
			{cmd: "SET s 1.0", want: okR},
			{cmd: "INCR s", want: notIntR},
			{cmd: "SET s 007", want: okR},
			{cmd: "INCR s", want: notIntR},
			{cmd: "INCRBY n x", want: notIntR},
			{cmd: "RPUSH l a", want: intR(1)},
			{cmd: "INCR l", want: wrongR},
			{cmd: "SET t 5 EX 100", want: okR},
			{cmd: "INCR t", want: intR(6)},
			{cmd: "TTL t", want: intR(100)},
		}},
		{"incrbyfloat", []step{
			{cmd: "INCRBYFLOAT f 10.5", want: bulkR("10.5")},
			{cmd: "INCRBYFLOAT f 0.1", want: bulkR("10.6")},
			{cmd: "INCRBYFLOAT f 5.0e3", want: bulkR("5010.60000000000000009")}, // as Redis
			{cmd: "INCRBYFLOAT f -5010.6", want: bulkR("0")},
			{cmd: "INCRBYFLOAT g 1.1", want: bulkR("1.1")},
			{cmd: "INCRBYFLOAT g 2.2", want: bulkR("3.3")},
			{cmd: "INCRBYFLOAT h 0x10", want: bulkR("16")},
			{cmd: "INCRBYFLOAT f inf", want: errR("ERR increment would produce NaN or Infinity")},
			{cmd: "INCRBYFLOAT f 1e5000", want: errR("ERR value is not a valid float")},
			{cmd: "INCRBYFLOAT f abc", want: errR("ERR value is not a valid float")},
			{cmd: "SET s abc", want: okR},
			{cmd: "INCRBYFLOAT s 1", want: errR("ERR value is not a valid float")},
			{cmd: "SET t 5 EX 100", want: okR},
			{cmd: "INCRBYFLOAT t 1.5", want: bulkR("6.5")},
			{cmd: "TTL t", want: intR(100)},
		}},
		{"append strlen", []step{
			{cmd: "APPEND k abc", want: intR(3)},
			{cmd: "APPEND k de", want: intR(5)},
			{cmd: "GET k", want: bulkR("abcde")},
			{cmd: "STRLEN k", want: intR(5)},
			{cmd: "STRLEN nope", want: intR(0)},
			{cmd: "SADD s m", want: intR(1)},
			{cmd: "APPEND s x", want: wrongR},
			{cmd: "STRLEN s", want: wrongR},
		}},
		{"getdel getset getex", []step{
			{cmd: "SET k v EX 100", want: okR},
			{cmd: "GETSET k w", want: bulkR("v")},
			{cmd: "TTL k", want: intR(-1)},
			{cmd: "GETSET nope x", want: nilR},
			{cmd: "GETDEL k", want: bulkR("w")},
			{cmd: "GETDEL k", want: nilR},
			{cmd: "SET k v", want: okR},
			{cmd: "GETEX k EX 50", want: bulkR("v")},
			{cmd: "TTL k", want: intR(50)},
			{cmd: "GETEX k PERSIST", want: bulkR("v")},
			{cmd: "TTL k", want: intR(-1)},
			{cmd: "GETEX k PX 10 EX 10", want: syntaxR},
			{cmd: "GETEX k NX", want: syntaxR},
			{cmd: "GETEX k EX 0", want: expireErr("getex")},
			{cmd: "GETEX missing EX 0", want: nilR},
			{cmd: "GETEX k PXAT 1", want: bulkR("v")},
			{cmd: "EXISTS k", want: intR(0)},
			{cmd: "HSET h f v", want: intR(1)},
			{cmd: "GETEX h", want: wrongR},
			{cmd: "GETDEL h", want: wrongR},
			{cmd: "GETSET h v", want: wrongR},
		}},
	})
}

// TestStringValuesAreCopied checks that stored values do not alias the
// argument buffers, which the connection reuses.
func TestStringValuesAreCopied(t *testing.T) {
	te := newTestEngine(t)
	args := [][]byte{[]byte("SET"), []byte("k"), []byte("value")}
	te.e.Lock()
	te.c.ExecLocked(args)
	te.c.ResetOutput()
	te.e.Unlock()
	copy(args[1], "x")
	copy(args[2], "XXXXX")
	if got := te.do("GET k"); got != bulkR("value") {
		t.Errorf("GET k after reusing the argument buffer = %q, want %q", got, bulkR("value"))
	}
}

func TestAppendRespectsProtoMaxBulkLen(t *testing.T) {
	te := newTestEngine(t)
	te.e.settings.protoMaxBulkLen = 6
	tests := []struct {
		cmd  string
		want string
	}{
		{"APPEND k abc", intR(3)},
		{"APPEND k def", intR(6)},
		{"APPEND k g", errR("ERR string exceeds maximum allowed size (proto-max-bulk-len)")},
		{"GET k", bulkR("abcdef")},
	}
	for _, tt := range tests {
		if got := te.do(tt.cmd); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}
