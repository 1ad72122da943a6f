package redistest_test

import (
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// These tests exercise the raw client against Pelican served by
// pelicantest (an external test package, since pelicantest imports the
// engine).

func TestStartPelicanAnswersAndCountsBlocked(t *testing.T) {
	p := pelicantest.StartPelican(t, engine.Config{})
	c := redistest.Dial(t, p.Addr)
	if got := c.MustDo(t, "PING").String(); got != "+PONG" {
		t.Errorf("PING = %s, want +PONG", got)
	}
	if err := c.Send("XREAD", "BLOCK", "0", "STREAMS", "s", "$"); err != nil {
		t.Fatal(err)
	}
	if err := redistest.WaitBlocked(p.BlockedClients, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	other := redistest.Dial(t, p.Addr)
	if got := other.MustDo(t, "XADD", "s", "1-1", "f", "v").String(); got != `$"1-1"` {
		t.Errorf("XADD = %s", got)
	}
	got, err := c.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if want := `*1[*2[$"s" *1[*2[$"1-1" *2[$"f" $"v"]]]]]`; got.String() != want {
		t.Errorf("XREAD after XADD = %s, want %s", got, want)
	}
	if n, _ := p.BlockedClients(); n != 0 {
		t.Errorf("BlockedClients() = %d after the read was served, want 0", n)
	}
}

func TestHelloSwitchesProto(t *testing.T) {
	p := pelicantest.StartPelican(t, engine.Config{})
	c := redistest.Dial(t, p.Addr)
	r := c.MustDo(t, "HELLO", "3")
	if r.Kind != redistest.KindMap || c.Proto() != 3 {
		t.Fatalf("HELLO 3 = %s, Proto() = %d; want a map and 3", r, c.Proto())
	}
	if got := c.MustDo(t, "XRANGE", "nokey", "-", "+", "COUNT", "0").String(); got != "*0[]" {
		t.Errorf("XRANGE on a missing key = %s, want *0[]", got)
	}
}
