package engine

import (
	"strconv"
	"strings"
	"testing"
)

func TestHashCommands(t *testing.T) {
	runStepCases(t, []stepCase{
		{"hset hget hgetall", []step{
			{cmd: "HSET h a 1 b 2", want: intR(2)},
			{cmd: "HSET h a 3 c 4", want: intR(1)},
			{cmd: "HGETALL h", want: bulksR("a", "3", "b", "2", "c", "4")},
			{cmd: "HKEYS h", want: bulksR("a", "b", "c")},
			{cmd: "HVALS h", want: bulksR("3", "2", "4")},
			{cmd: "HGET h b", want: bulkR("2")},
			{cmd: "HGET h z", want: nilR},
			{cmd: "HGET nope a", want: nilR},
			{cmd: "HMGET h a z c", want: arrR(bulkR("3"), nilR, bulkR("4"))},
			{cmd: "HMGET nope a b", want: arrR(nilR, nilR)},
			{cmd: "HSET h a 1 b", want: arityR("hset")},
			{cmd: "HMSET h a 1 b", want: arityR("hmset")},
			{cmd: "HMSET h d 5", want: okR},
			{cmd: "HGETALL nope", want: emptyArr},
			{cmd: "HKEYS nope", want: emptyArr},
		}},
		// NOVALUES is Redis 7.4's (redis.io/docs/latest/commands/hscan):
		// the fields alone. The rest of HSCAN is compared with Redis in
		// keys_redis_cases_test.go.
		{"hscan novalues", []step{
			{cmd: "HSET h a 1 b 2", want: intR(2)},
			{cmd: "HSCAN h 0 NOVALUES", want: arrR(bulkR("0"), bulksR("a", "b"))},
			{cmd: "HSCAN h 0 novalues MATCH b", want: arrR(bulkR("0"), bulksR("b"))},
			{cmd: "HSCAN h 0", want: arrR(bulkR("0"), bulksR("a", "1", "b", "2"))},
		}},
		{"hdel deletes emptied hash", []step{
			{cmd: "HSET h a 1 b 2 c 3", want: intR(3)},
			{cmd: "HDEL h b z", want: intR(1)},
			{cmd: "HGETALL h", want: bulksR("a", "1", "c", "3")},
			{cmd: "HSET h b 9", want: intR(1)},
			{cmd: "HGETALL h", want: bulksR("a", "1", "c", "3", "b", "9")},
			{cmd: "HDEL h a b c", want: intR(3)},
			{cmd: "EXISTS h", want: intR(0)},
			{cmd: "HDEL h a", want: intR(0)},
		}},
		{"hlen hexists hstrlen hsetnx", []step{
			{cmd: "HSETNX h a 1", want: intR(1)},
			{cmd: "HSETNX h a 2", want: intR(0)},
			{cmd: "HSET h b hello", want: intR(1)},
			{cmd: "HLEN h", want: intR(2)},
			{cmd: "HLEN nope", want: intR(0)},
			{cmd: "HEXISTS h a", want: intR(1)},
			{cmd: "HEXISTS h z", want: intR(0)},
			{cmd: "HSTRLEN h b", want: intR(5)},
			{cmd: "HSTRLEN h z", want: intR(0)},
			{cmd: "HGET h a", want: bulkR("1")},
		}},
		{"hincrby hincrbyfloat", []step{
			{cmd: "HINCRBY h n 5", want: intR(5)},
			{cmd: "HINCRBY h n -7", want: intR(-2)},
			{cmd: "HINCRBY h n x", want: notIntR},
			{cmd: "HSET h s abc big 9223372036854775807", want: intR(2)},
			{cmd: "HINCRBY h s 1", want: errR("ERR hash value is not an integer")},
			{cmd: "HINCRBY h big 1", want: errR("ERR increment or decrement would overflow")},
			{cmd: "HINCRBYFLOAT h f 1.5", want: bulkR("1.5")},
			{cmd: "HINCRBYFLOAT h f 0.1", want: bulkR("1.6")},
			{cmd: "HINCRBYFLOAT h s 1", want: errR("ERR hash value is not a float")},
			{cmd: "HINCRBYFLOAT h f inf", want: errR("ERR value is NaN or Infinity")},
			{cmd: "HINCRBYFLOAT h f x", want: errR("ERR value is not a valid float")},
			{cmd: "HGET h n", want: bulkR("-2")},
		}},
		{"wrong type", []step{
			{cmd: "SET s v", want: okR},
			{cmd: "HSET s a 1", want: wrongR},
			{cmd: "HGET s a", want: wrongR},
			{cmd: "HMGET s a", want: wrongR},
			{cmd: "HGETALL s", want: wrongR},
			{cmd: "HDEL s a", want: wrongR},
			{cmd: "HLEN s", want: wrongR},
			{cmd: "HINCRBY s a 1", want: wrongR},
			{cmd: "HINCRBY s a x", want: notIntR},
		}},
	})
}

func TestHashRESP3(t *testing.T) {
	te := newTestEngine(t)
	te.do("HELLO 3")
	tests := []struct {
		cmd  string
		want string
	}{
		{"HSET h a 1 b 2", intR(2)},
		{"HGETALL h", "%2\r\n" + bulkR("a") + bulkR("1") + bulkR("b") + bulkR("2")},
		{"HGETALL nope", "%0\r\n"},
		{"HKEYS h", bulksR("a", "b")},
		{"HMGET h a z", arrR(bulkR("1"), nullR)},
		{"HGET h z", nullR},
	}
	for _, tt := range tests {
		if got := te.do(tt.cmd); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}

// TestHashKeepsInsertionOrder checks the order Redis's listpack encoding
// gives small hashes, and that it survives deletions and updates.
func TestHashKeepsInsertionOrder(t *testing.T) {
	te := newTestEngine(t)
	var want []string
	for i := 127; i >= 0; i-- {
		f := "f" + strconv.Itoa(i)
		te.do("HSET h " + f + " v")
		want = append(want, f)
	}
	for i := 0; i < 128; i += 3 {
		te.do("HDEL h f" + strconv.Itoa(i))
	}
	kept := want[:0]
	for _, f := range want {
		n, _ := strconv.Atoi(strings.TrimPrefix(f, "f"))
		if n%3 != 0 {
			kept = append(kept, f)
		}
	}
	te.do("HSET h f1 updated")
	if got, want := te.do("HKEYS h"), bulksR(kept...); got != want {
		t.Errorf("HKEYS after deletions = %q, want %q", got, want)
	}
}
