package engine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPubSubClientState checks what a subscription changes about a client
// beyond the replies the conformance scripts compare: its class in CLIENT
// LIST and CLIENT KILL, INFO's counts, its limits, and the delivery of a
// message to a client that is not running a command.
func TestPubSubClientState(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	pub := newIntroClient(e, "127.0.0.1:1000")
	sub := newIntroClient(e, "127.0.0.1:2000")
	woken := 0
	sub.wake = func() { woken++ }
	pub.do(t, "CONFIG", "SET", "timeout", "30")

	sub.do(t, "HELLO", "3")
	sub.raw("SUBSCRIBE", "a", "b")
	line := pub.do(t, "CLIENT", "LIST", "TYPE", "pubsub").Str
	for _, field := range []string{"addr=127.0.0.1:2000 ", " flags=P ", " sub=2 "} {
		if !strings.Contains(line, field) {
			t.Errorf("CLIENT LIST TYPE pubsub lacks %q: %q", field, line)
		}
	}
	if normal := pub.do(t, "CLIENT", "LIST", "TYPE", "normal").Str; strings.Contains(normal, "127.0.0.1:2000") {
		t.Errorf("CLIENT LIST TYPE normal lists the subscriber: %q", normal)
	}
	info := infoFields(pub.do(t, "INFO").Str)
	if got := []string{info["pubsub_clients"], info["pubsub_channels"]}; !cmp.Equal(got, []string{"1", "2"}) {
		t.Errorf("INFO pubsub_clients, pubsub_channels = %q, want [1 2]", got)
	}
	e.Lock()
	lim := sub.LimitsLocked()
	e.Unlock()
	if want := defaultOutputLimits[classPubSub]; lim.Output != want || lim.Idle != 0 {
		t.Errorf("a subscriber's limits = %+v, want output %+v and no idle timeout", lim, want)
	}

	// A message waits in the subscriber's served buffer, which its
	// goroutine, once woken, moves to the connection.
	if got := pub.do(t, "PUBLISH", "a", "hi"); !cmp.Equal(got, integer(1)) {
		t.Fatalf("PUBLISH = %v, want 1", got)
	}
	if woken != 1 {
		t.Errorf("the subscriber was woken %d times, want 1", woken)
	}
	e.Lock()
	sub.PollBlockLocked()
	got := string(sub.Output())
	sub.ResetOutput()
	e.Unlock()
	if want := ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"; got != want {
		t.Errorf("the subscriber's output = %q, want %q", got, want)
	}

	if got := pub.do(t, "CLIENT", "KILL", "TYPE", "pubsub"); !cmp.Equal(got, integer(1)) || !sub.killed {
		t.Errorf("CLIENT KILL TYPE pubsub = %v (killed %v), want 1 and the subscriber killed", got, sub.killed)
	}
	sub.Close()
	if got := pub.do(t, "PUBLISH", "a", "hi"); !cmp.Equal(got, integer(0)) {
		t.Errorf("PUBLISH after the subscriber closed = %v, want 0", got)
	}
	info = infoFields(pub.do(t, "INFO").Str)
	if got := []string{info["pubsub_clients"], info["pubsub_channels"]}; !cmp.Equal(got, []string{"0", "0"}) {
		t.Errorf("INFO pubsub_clients, pubsub_channels after the close = %q, want [0 0]", got)
	}
}
