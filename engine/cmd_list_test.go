package engine

import (
	"strconv"
	"testing"
)

func TestListCommands(t *testing.T) {
	runStepCases(t, []stepCase{
		{"push and range", []step{
			{cmd: "LPUSH l a b c", want: intR(3)},
			{cmd: "RPUSH l d e", want: intR(5)},
			{cmd: "LRANGE l 0 -1", want: bulksR("c", "b", "a", "d", "e")},
			{cmd: "LRANGE l -2 100", want: bulksR("d", "e")},
			{cmd: "LRANGE l 3 1", want: emptyArr},
			{cmd: "LRANGE l -100 0", want: bulksR("c")},
			{cmd: "LRANGE l x 1", want: notIntR},
			{cmd: "LRANGE nope x 1", want: notIntR},
			{cmd: "LRANGE nope 0 -1", want: emptyArr},
			{cmd: "LPUSHX nope a", want: intR(0)},
			{cmd: "EXISTS nope", want: intR(0)},
			{cmd: "RPUSHX l f", want: intR(6)},
			{cmd: "LLEN l", want: intR(6)},
			{cmd: "LLEN nope", want: intR(0)},
		}},
		{"lindex", []step{
			{cmd: "RPUSH l a b c", want: intR(3)},
			{cmd: "LINDEX l 0", want: bulkR("a")},
			{cmd: "LINDEX l -1", want: bulkR("c")},
			{cmd: "LINDEX l 3", want: nilR},
			{cmd: "LINDEX l -4", want: nilR},
			{cmd: "LINDEX l x", want: notIntR},
			{cmd: "LINDEX nope x", want: nilR},
		}},
		{"pop", []step{
			{cmd: "RPUSH l a b c d e", want: intR(5)},
			{cmd: "LPOP l", want: bulkR("a")},
			{cmd: "RPOP l", want: bulkR("e")},
			{cmd: "RPOP l 2", want: bulksR("d", "c")},
			{cmd: "LPOP l 0", want: emptyArr},
			{cmd: "LPOP l -1", want: errR("ERR value is out of range, must be positive")},
			{cmd: "LPOP l x", want: errR("ERR value is out of range, must be positive")},
			{cmd: "LPOP l 1 2", want: arityR("lpop")},
			{cmd: "LPOP l 10", want: bulksR("b")},
			{cmd: "EXISTS l", want: intR(0)},
			{cmd: "LPOP l", want: nilR},
			{cmd: "LPOP l 0", want: nilArrR},
			{cmd: "RPOP l 3", want: nilArrR},
		}},
		{"wrong type", []step{
			{cmd: "SET s v", want: okR},
			{cmd: "LPUSH s a", want: wrongR},
			{cmd: "RPUSHX s a", want: wrongR},
			{cmd: "LPOP s 0", want: wrongR},
			{cmd: "LRANGE s 0 1", want: wrongR},
			{cmd: "LLEN s", want: wrongR},
			{cmd: "LINDEX s x", want: wrongR},
		}},
	})
}

func TestListRESP3(t *testing.T) {
	te := newTestEngine(t)
	te.do("HELLO 3")
	tests := []struct {
		cmd  string
		want string
	}{
		{"LPOP nope", nullR},
		{"LPOP nope 2", nullR},
		{"RPUSH l a b", intR(2)},
		{"LPOP l 0", emptyArr},
		{"LPOP l 5", bulksR("a", "b")},
		{"LINDEX l 0", nullR},
	}
	for _, tt := range tests {
		if got := te.do(tt.cmd); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}

// TestListValueMatchesSlice drives the ring buffer through growth,
// wrap-around and shrinking, checking it against a plain slice.
func TestListValueMatchesSlice(t *testing.T) {
	var l listValue
	var model []string
	check := func(when string) {
		t.Helper()
		if l.len() != len(model) {
			t.Fatalf("%s: len %d, want %d", when, l.len(), len(model))
		}
		for i, want := range model {
			if got := string(l.at(i)); got != want {
				t.Fatalf("%s: at(%d) = %q, want %q", when, i, got, want)
			}
		}
	}
	for i := range 300 {
		v := strconv.Itoa(i)
		if i%3 == 0 {
			l.pushFront([]byte(v))
			model = append([]string{v}, model...)
		} else {
			l.pushBack([]byte(v))
			model = append(model, v)
		}
	}
	check("after pushes")
	for i := 0; len(model) > 5; i++ {
		if i%2 == 0 {
			if got := string(l.popFront()); got != model[0] {
				t.Fatalf("popFront = %q, want %q", got, model[0])
			}
			model = model[1:]
		} else {
			if got := string(l.popBack()); got != model[len(model)-1] {
				t.Fatalf("popBack = %q, want %q", got, model[len(model)-1])
			}
			model = model[:len(model)-1]
		}
	}
	check("after pops")
	if len(l.buf) > 64 {
		t.Errorf("buffer of %d slots for %d elements was not shrunk", len(l.buf), l.len())
	}
	l.pushFront([]byte("x"))
	model = append([]string{"x"}, model...)
	check("after a push on the shrunk list")
}
