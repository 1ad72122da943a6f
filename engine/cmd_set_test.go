package engine

import (
	"strconv"
	"testing"
)

func TestSetCommands(t *testing.T) {
	runStepCases(t, []stepCase{
		{"basics", []step{
			{cmd: "SADD s 3 1 2 1", want: intR(3)},
			{cmd: "SADD s 2 4", want: intR(1)},
			{cmd: "SCARD s", want: intR(4)},
			{cmd: "SMEMBERS s", want: bulksR("1", "2", "3", "4")},
			{cmd: "SISMEMBER s 2", want: intR(1)},
			{cmd: "SISMEMBER s 02", want: intR(0)},
			{cmd: "SMISMEMBER s 1 9 4", want: arrR(intR(1), intR(0), intR(1))},
			{cmd: "SMISMEMBER nope a", want: arrR(intR(0))},
			{cmd: "SREM s 1 9", want: intR(1)},
			{cmd: "SMEMBERS nope", want: emptyArr},
			{cmd: "SCARD nope", want: intR(0)},
			{cmd: "SREM s 2 3 4", want: intR(3)},
			{cmd: "EXISTS s", want: intR(0)},
			{cmd: "SREM s 2", want: intR(0)},
		}},
		{"integer sets are sorted", []step{
			{cmd: "SADD s 10 -5 3 9223372036854775807 -9223372036854775808", want: intR(5)},
			{cmd: "SMEMBERS s", want: bulksR("-9223372036854775808", "-5", "3", "10", "9223372036854775807")},
		}},
		{"other sets keep insertion order", []step{
			{cmd: "SADD s 3 b 1 a", want: intR(4)},
			{cmd: "SMEMBERS s", want: bulksR("3", "b", "1", "a")},
			{cmd: "SREM s b", want: intR(1)},
			{cmd: "SMEMBERS s", want: bulksR("3", "1", "a")},
			{cmd: "SREM s a", want: intR(1)},
			{cmd: "SMEMBERS s", want: bulksR("3", "1")}, // no longer an intset
			{cmd: "SADD t 007 5", want: intR(2)},
			{cmd: "SMEMBERS t", want: bulksR("007", "5")},
		}},
		{"wrong type", []step{
			{cmd: "SET k v", want: okR},
			{cmd: "SADD k a", want: wrongR},
			{cmd: "SREM k a", want: wrongR},
			{cmd: "SISMEMBER k a", want: wrongR},
			{cmd: "SMISMEMBER k a", want: wrongR},
			{cmd: "SMEMBERS k", want: wrongR},
			{cmd: "SCARD k", want: wrongR},
			{cmd: "SADD k", want: arityR("sadd")},
		}},
	})
}

func TestSetRESP3(t *testing.T) {
	te := newTestEngine(t)
	te.do("HELLO 3")
	tests := []struct {
		cmd  string
		want string
	}{
		{"SADD s 2 1", intR(2)},
		{"SMEMBERS s", "~2\r\n" + bulkR("1") + bulkR("2")},
		{"SMEMBERS nope", "~0\r\n"},
		{"SISMEMBER s 1", intR(1)},
	}
	for _, tt := range tests {
		if got := te.do(tt.cmd); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}

// TestIntsetLimit checks that a set of more than 512 integers stops
// being listed in numeric order, as Redis converts it to a hash table.
func TestIntsetLimit(t *testing.T) {
	s := newSetValue([]byte("1"))
	for i := 512; i >= 1; i-- {
		s.add([]byte(strconv.Itoa(i)))
	}
	if !s.intset {
		t.Fatal("a set of 512 integers is not an intset")
	}
	if got := s.list(); got[0] != "1" || got[511] != "512" {
		t.Errorf("intset listed as %q ... %q, want 1 ... 512", got[0], got[511])
	}
	s.add([]byte("0"))
	if s.intset {
		t.Error("a set of 513 integers is still an intset")
	}
	if got := s.list(); got[0] != "512" || got[512] != "0" {
		t.Errorf("converted set listed as %q ... %q, want insertion order 512 ... 0", got[0], got[512])
	}
}
