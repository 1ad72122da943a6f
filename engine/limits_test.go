package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestClientLimits checks the limits the transport is told to apply. A
// client that has not authenticated on a server with a password has its
// query buffer bounded at 1 MB, as in Redis 7.4 and later (whatever
// client-query-buffer-limit says), and its queued replies at 1 KB, as in
// Redis since 7.2.8 and 8.0.1 (CVE-2025-21605); once authenticated, the
// settings apply.
func TestClientLimits(t *testing.T) {
	e, _ := newIntroEngine(t, Config{RequirePass: "secret"})
	c := newIntroClient(e, "127.0.0.1:5000")
	limits := func() ClientLimits {
		e.Lock()
		defer e.Unlock()
		return c.LimitsLocked()
	}
	if diff := cmp.Diff(limits(), ClientLimits{QueryBuffer: 1 << 20, Output: OutputLimit{Hard: 1024}}); diff != "" {
		t.Errorf("unauthenticated client's limits (-got +want):\n%s", diff)
	}
	c.do(t, "AUTH", "secret")
	if diff := cmp.Diff(limits(), ClientLimits{QueryBuffer: 1 << 30}); diff != "" {
		t.Errorf("default limits (-got +want):\n%s", diff)
	}
	c.do(t, "CONFIG", "SET", "client-output-buffer-limit", "normal 10mb 5mb 30", "client-query-buffer-limit", "2mb", "timeout", "300")
	want := ClientLimits{
		QueryBuffer: 2 << 20,
		Output:      OutputLimit{Hard: 10 << 20, Soft: 5 << 20, SoftFor: 30 * time.Second},
		Idle:        300 * time.Second,
	}
	if diff := cmp.Diff(limits(), want); diff != "" {
		t.Errorf("configured limits (-got +want):\n%s", diff)
	}
}

// TestAdmitClientEnforcesMaxClients checks that AdmitClient refuses a
// client beyond maxclients, counts it, and admits one again once a client
// leaves.
func TestAdmitClientEnforcesMaxClients(t *testing.T) {
	e, _ := newIntroEngine(t, Config{MaxClients: 2})
	a, err := e.AdmitClient(ClientInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.AdmitClient(ClientInfo{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AdmitClient(ClientInfo{}); err != ErrMaxClients {
		t.Fatalf("third client: %v, want ErrMaxClients", err)
	}
	a.Close()
	if _, err := e.AdmitClient(ClientInfo{}); err != nil {
		t.Fatalf("after a client left: %v", err)
	}
	e.Lock()
	rejected := e.stats.rejectedConnections
	e.Unlock()
	if rejected != 1 {
		t.Errorf("rejected connections %d, want 1", rejected)
	}
}

// TestClientsAllowedBoundsMaxClients checks that the open file limit, as
// ClientsAllowed reports it, lowers maxclients at start and refuses a
// larger CONFIG SET maxclients with Redis's error.
func TestClientsAllowedBoundsMaxClients(t *testing.T) {
	e, _ := newIntroEngine(t, Config{ClientsAllowed: func(n int) int { return min(n, 32) }})
	if got := e.MaxClients(); got != 32 {
		t.Errorf("maxclients %d, want 32", got)
	}
	c := newIntroClient(e, "127.0.0.1:5000")
	got := c.raw("CONFIG", "SET", "maxclients", "100")
	want := "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 32\r\n"
	if string(got) != want {
		t.Errorf("CONFIG SET maxclients 100: %q, want %q", got, want)
	}
	if got := string(c.raw("CONFIG", "SET", "maxclients", "20")); got != "+OK\r\n" {
		t.Errorf("CONFIG SET maxclients 20: %q", got)
	}
}
