package redistest

import (
	"strings"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
)

func TestStartRedisAnswersAndStops(t *testing.T) {
	var r *Redis
	t.Run("start", func(t *testing.T) {
		r = StartRedis(t)
		t.Logf("redis-server %s pid %d on %s", r.Version, r.PID, r.Addr)
		if !strings.HasPrefix(r.Version, "7.") && !strings.HasPrefix(r.Version, "8.") {
			t.Errorf("Version = %q, want a 7.x or 8.x version", r.Version)
		}
		c := Dial(t, r.Addr)
		if got := c.MustDo(t, "PING").String(); got != "+PONG" {
			t.Errorf("PING = %s, want +PONG", got)
		}
		if got := c.MustDo(t, "CONFIG", "GET", "save").String(); got != `*2[$"save" $""]` {
			t.Errorf("CONFIG GET save = %s, want persistence off", got)
		}
	})
	// The subtest's cleanup stopped the server: it no longer accepts.
	if c, err := DialAddr(r.Addr); err == nil {
		c.Close()
		t.Errorf("redis-server still accepts connections on %s after the test ended", r.Addr)
	}
}

func TestRedisServerPathHonoursEnv(t *testing.T) {
	t.Setenv(RedisServerEnv, "/nonexistent/redis-server")
	if _, err := RedisServerPath(); err == nil || !strings.Contains(err.Error(), RedisServerEnv) {
		t.Errorf("RedisServerPath() error = %v, want one naming %s", err, RedisServerEnv)
	}
	t.Setenv(RedisServerEnv, "")
	t.Setenv("PATH", t.TempDir())
	_, err := RedisServerPath()
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y redis-server") {
		t.Errorf("RedisServerPath() without redis-server: error = %v, want install instructions", err)
	}
}

func TestStartPelicanAnswersAndCountsBlocked(t *testing.T) {
	p := StartPelican(t, engine.Config{})
	c := Dial(t, p.Addr)
	if got := c.MustDo(t, "PING").String(); got != "+PONG" {
		t.Errorf("PING = %s, want +PONG", got)
	}
	if err := c.Send("XREAD", "BLOCK", "0", "STREAMS", "s", "$"); err != nil {
		t.Fatal(err)
	}
	if err := WaitBlocked(p.BlockedClients, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	other := Dial(t, p.Addr)
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
	p := StartPelican(t, engine.Config{})
	c := Dial(t, p.Addr)
	r := c.MustDo(t, "HELLO", "3")
	if r.Kind != KindMap || c.Proto() != 3 {
		t.Fatalf("HELLO 3 = %s, Proto() = %d; want a map and 3", r, c.Proto())
	}
	if got := c.MustDo(t, "XRANGE", "nokey", "-", "+", "COUNT", "0").String(); got != "*0[]" {
		t.Errorf("XRANGE on a missing key = %s, want *0[]", got)
	}
}
