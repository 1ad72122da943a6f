package redistest

import (
	"net"
	"strings"
	"testing"
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

func TestStartSentinelKnowsItsMaster(t *testing.T) {
	master := StartRedis(t)
	s := StartSentinel(t, master, "mymaster")
	c := Dial(t, s.Addr)
	defer c.Close()
	rep := c.MustDo(t, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
	if len(rep.Elems) != 2 || net.JoinHostPort(rep.Elems[0].Str, rep.Elems[1].Str) != master.Addr {
		t.Errorf("the Sentinel gives %s for mymaster, want %s", rep, master.Addr)
	}
}
