package aof

import (
	"net"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/vfs"
)

// TestSchedPassRunsArrivedConnections checks the promise gathering rests
// on: once a scheduler pass brings no progress, every connection whose
// data had arrived has read it. runtime.Gosched alone does not do this
// (the scheduler polls the network only once its run queues are empty),
// so the test fails without the pass's trip through the poller.
func TestSchedPassRunsArrivedConnections(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p, err := newSchedPass()
	if err != nil {
		t.Skip(err)
	}
	defer p.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const conns = 20
	var clients []net.Conn
	var read atomic.Int32
	var wg sync.WaitGroup
	for range conns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [1]byte
			if _, err := s.Read(b[:]); err == nil {
				read.Add(1)
			}
		}()
	}
	// passes runs passes until one brings no progress, as Log.gather does.
	passes := func() {
		for n := read.Load(); ; {
			if err := p.wait(); err != nil {
				t.Fatal(err)
			}
			m := read.Load()
			if m == n {
				return
			}
			n = m
		}
	}
	// Park every reader in the poller; none has data yet.
	for range 5 {
		passes()
	}
	if n := read.Load(); n != 0 {
		t.Fatalf("%d readers returned before any data was sent", n)
	}
	// Let all their data arrive (loopback delivers it before Write
	// returns) and give the kernel a moment without yielding to Go's
	// scheduler.
	for _, c := range clients {
		if _, err := c.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	for start := time.Now(); time.Since(start) < 2*time.Millisecond; {
	}
	passes()
	if n := read.Load(); n != conns {
		t.Fatalf("after the passes %d of %d connections with data had read it", n, conns)
	}
	wg.Wait()
}

// TestSyncSharesOneFsyncPerRound runs writers that each write and fsync
// in a loop, as clients under appendfsync always do: after the first
// rounds, each fsync should cover every writer instead of the writers
// splitting into cohorts that take turns. (Measured on a 2-core VM: 201
// to ~340 fsyncs for 200 rounds with gathering, 560 to 840 without.)
func TestSyncSharesOneFsyncPerRound(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	l, err := OpenLog(vfs.Default, filepath.Join(t.TempDir(), "log.aof"), Always)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const writers, rounds = 32, 200
	before := l.Stats().Fsyncs
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if err := l.Sync(l.Append([]byte("*1\r\n$4\r\nPING\r\n"))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fsyncs := l.Stats().Fsyncs - before
	t.Logf("%d writers × %d writes: %d fsyncs", writers, rounds, fsyncs)
	if fsyncs > rounds*2 {
		t.Errorf("%d fsyncs for %d rounds of %d writers: writers do not share fsyncs per round", fsyncs, rounds, writers)
	}
}
