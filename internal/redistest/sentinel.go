package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Sentinel is a redis-server in Sentinel mode, private to one test,
// monitoring one master.
type Sentinel struct {
	// Addr is the loopback host:port it listens on.
	Addr string
	// MasterName is the name it knows the master by (a Sentinel URL's
	// master_name).
	MasterName string
	// PID is the process ID.
	PID int
}

// StartSentinel starts redis-server --sentinel on a free loopback port,
// monitoring master under masterName with a quorum of 1, and waits until
// it gives the master's address for that name. A Sentinel rewrites its
// configuration file, so the file lives in a temporary directory of the
// test. It is stopped when the test ends.
func StartSentinel(t testing.TB, master *Redis, masterName string) *Sentinel {
	t.Helper()
	bin, err := RedisServerPath()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	host, port, err := net.SplitHostPort(master.Addr)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	conf := fmt.Sprintf("sentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 5000\n", masterName, host, port, masterName)
	if master.Password != "" {
		conf += fmt.Sprintf("sentinel auth-pass %s %s\n", masterName, master.Password)
	}
	var r *Redis
	for attempt := 0; attempt < 5; attempt++ {
		path := filepath.Join(t.TempDir(), "sentinel.conf")
		if err = os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatalf("redistest: %v", err)
		}
		if r, err = startRedis(t, bin, path, []string{"--sentinel"}); !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		t.Fatalf("redistest: starting a Sentinel: %v", err)
	}
	s := &Sentinel{Addr: r.Addr, MasterName: masterName, PID: r.PID}
	deadline := time.Now().Add(startTimeout)
	for {
		got, err := s.masterAddr(r)
		if err == nil && got == master.Addr {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: the Sentinel at %s never gave %s for %s (last: %q, %v)", s.Addr, master.Addr, masterName, got, err)
		}
		time.Sleep(pollInterval)
	}
}

// masterAddr asks the Sentinel for its master's address.
func (s *Sentinel) masterAddr(r *Redis) (string, error) {
	c, err := r.dial()
	if err != nil {
		return "", err
	}
	defer c.Close()
	rep, err := c.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
	if err != nil {
		return "", err
	}
	if len(rep.Elems) != 2 {
		return "", fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME: %s", rep)
	}
	return net.JoinHostPort(rep.Elems[0].Str, rep.Elems[1].Str), nil
}
