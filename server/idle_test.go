package server_test

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/cputime"
)

// TestIdleBlockedClientsCostNothing blocks 5,000 clients in XREAD BLOCK 0
// and checks that the process uses under 1% of a CPU over 10 seconds.
// Clients and server share the process, so the figure bounds both.
func TestIdleBlockedClientsCostNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 10 s; run without -short")
	}
	const clients = 5000
	raiseFileLimit(t, 2*clients+200)
	addr, eng := startServer(t, engine.Config{ActiveExpiry: true})
	conns := make([]net.Conn, 0, clients)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	cmd := []byte("*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n$\r\n")
	for i := 0; i < clients; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		if _, err := c.Write(cmd); err != nil {
			t.Fatal(err)
		}
	}
	waitBlocked(t, eng, clients)

	const window = 10 * time.Second
	before := cpuTime(t)
	time.Sleep(window) // measuring idleness: the wait is the measurement
	used := cpuTime(t) - before
	t.Logf("%d blocked clients: %v of CPU in %v (%.3f%%)", clients, used, window, 100*float64(used)/float64(window))
	if used > window/100 {
		t.Errorf("used %v of CPU in %v, want under 1%%", used, window)
	}
	if got := eng.BlockedClients(); got != clients {
		t.Errorf("%d clients still blocked, want %d", got, clients)
	}
}

func cpuTime(t *testing.T) time.Duration {
	cpu := cputime.Self()
	if cpu == 0 {
		t.Fatal("cannot read the process's CPU time")
	}
	return cpu
}

func raiseFileLimit(t *testing.T, n uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Fatalf("open file limit is %d, the test needs %d (raise ulimit -n)", lim.Max, n)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("raising the open file limit: %v", err)
	}
}
