package stream

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pelicanhq/pelican/internal/listpack"
)

// snapFixture builds a stream of several small nodes with deleted
// entries, two groups with pending entries, consumers, NACKed entries and
// IDMP state.
func snapFixture(t *testing.T) *Stream {
	t.Helper()
	s := New()
	lim := Limits{NodeMaxEntries: 4}
	for i := 1; i <= 21; i++ { // the last node holds one entry
		fv := [][]byte{[]byte("f"), []byte(fmt.Sprint(i))}
		if i%3 == 0 {
			fv = append(fv, []byte("other"), []byte("x"))
		}
		if err := s.Append(ID{uint64(i), 0}, fv, lim); err != nil {
			t.Fatal(err)
		}
	}
	s.Delete(ID{6, 0})
	s.Delete(ID{7, 0})
	g := s.CreateGroup([]byte("g1"), ID{}, 0)
	alice, _ := g.LookupOrCreateConsumer([]byte("alice"), 100)
	bob, _ := g.LookupOrCreateConsumer([]byte("bob"), 110)
	for i := 1; i <= 12; i++ {
		c := alice
		if i%2 == 0 {
			c = bob
		}
		if i == 6 || i == 7 {
			continue
		}
		g.Deliver(ID{uint64(i), 0}, c, int64(1000+i))
		g.Advance(s, ID{uint64(i), 0})
	}
	g.Nack(s, ID{9, 0}, NackFail, -1, false)
	g.Nack(s, ID{3, 0}, NackSilent, -1, false)
	s.CreateGroup([]byte("g0"), ID{5, 0}, InvalidEntriesRead)
	s.SetIdmpConfig(50, 20)
	s.IdmpRecord([]byte("p1"), []byte("a"), ID{18, 0})
	s.IdmpRecord([]byte("p1"), []byte("b"), ID{19, 0})
	s.IdmpRecord([]byte("p0"), []byte("c"), ID{20, 0})
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

// deepCopy returns a snapshot that shares nothing with snap.
func deepCopy(snap *Snapshot) *Snapshot {
	out := *snap
	out.Nodes = make([]NodeSnapshot, len(snap.Nodes))
	for i, n := range snap.Nodes {
		out.Nodes[i] = NodeSnapshot{Master: n.Master, Listpack: append([]byte(nil), n.Listpack...)}
	}
	out.Groups = make([]GroupSnapshot, len(snap.Groups))
	for i, g := range snap.Groups {
		g.PEL = append([]PendingSnapshot(nil), g.PEL...)
		g.Consumers = append([]ConsumerSnapshot(nil), g.Consumers...)
		out.Groups[i] = g
	}
	if snap.Idmp != nil {
		is := *snap.Idmp
		is.Producers = nil
		for _, p := range snap.Idmp.Producers {
			p.Records = append([]IdmpRecord(nil), p.Records...)
			is.Producers = append(is.Producers, p)
		}
		out.Idmp = &is
	}
	return &out
}

// TestSnapshotIsolated changes the stream in every way that touches a
// node's bytes or the groups after a snapshot, and checks that the
// snapshot still shows the stream as it was.
func TestSnapshotIsolated(t *testing.T) {
	changes := []struct {
		name string
		fn   func(s *Stream)
	}{
		{"append to the tail node", func(s *Stream) {
			s.Append(ID{22, 0}, [][]byte{[]byte("f"), []byte("22")}, Limits{NodeMaxEntries: 4})
		}},
		{"append new nodes", func(s *Stream) {
			for i := 22; i < 40; i++ {
				s.Append(ID{uint64(i), 0}, [][]byte{[]byte("f"), []byte("v")}, Limits{NodeMaxEntries: 4})
			}
		}},
		{"XDEL in a middle node", func(s *Stream) { s.Delete(ID{10, 0}) }},
		{"XDEL the last live entry of a node", func(s *Stream) { s.Delete(ID{5, 0}); s.Delete(ID{8, 0}) }},
		{"XDEL in the tail node", func(s *Stream) { s.Delete(ID{20, 0}) }},
		{"exact trim inside the first node", func(s *Stream) { s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 17}) }},
		{"exact MINID trim", func(s *Stream) { s.Trim(TrimArgs{Strategy: TrimMinID, MinID: ID{11, 0}}) }},
		{"approximate trim", func(s *Stream) { s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 5, Approx: true}) }},
		{"trim with ACKED", func(s *Stream) { s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 3, Policy: Acked}) }},
		{"trim with DELREF", func(s *Stream) { s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 3, Policy: DelRef}) }},
		{"XDELEX DELREF", func(s *Stream) { s.DeleteWithPolicy(ID{4, 0}, DelRef) }},
		{"ack", func(s *Stream) { s.Group([]byte("g1")).Ack(ID{1, 0}); s.Group([]byte("g1")).Ack(ID{9, 0}) }},
		{"claim", func(s *Stream) {
			g := s.Group([]byte("g1"))
			c, _ := g.LookupOrCreateConsumer([]byte("carol"), 5000)
			g.Assign(g.Pending(ID{2, 0}), c, 5000, 7, 5000)
			g.Assign(g.Pending(ID{3, 0}), c, 5000, 1, 5000)
		}},
		{"deliver and nack", func(s *Stream) {
			g := s.Group([]byte("g1"))
			g.Deliver(ID{13, 0}, g.Consumer([]byte("alice")), 6000)
			g.Nack(s, ID{1, 0}, NackFatal, -1, false)
		}},
		{"group changes", func(s *Stream) {
			s.DestroyGroup([]byte("g0"))
			s.CreateGroup([]byte("g2"), ID{1, 0}, 1)
			g := s.Group([]byte("g1"))
			g.DeleteConsumer(g.Consumer([]byte("bob")))
			g.LastID, g.EntriesRead = ID{20, 0}, 20
			g.Consumer([]byte("alice")).SeenTime = 99999
		}},
		{"XSETID", func(s *Stream) { s.SetID(ID{100, 0}, 500, ID{50, 0}) }},
		{"IDMP", func(s *Stream) {
			s.IdmpRecord([]byte("p1"), []byte("z"), ID{20, 0})
			s.IdmpLookup([]byte("p1"), []byte("a"), 0)
			s.SetIdmpConfig(60, 30)
		}},
	}
	for _, tc := range changes {
		t.Run(tc.name, func(t *testing.T) {
			s := snapFixture(t)
			before := collect(s, MinID, MaxID, false)
			snap := s.Snapshot()
			want := deepCopy(snap)
			tc.fn(s)
			if err := s.Validate(); err != nil {
				t.Fatalf("live stream after the change: %v", err)
			}
			if diff := cmp.Diff(snap, want, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("snapshot changed (-got +want):\n%s", diff)
			}
			r, err := Restore(deepCopy(snap))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(collect(r, MinID, MaxID, false), before); diff != "" {
				t.Errorf("restored entries (-got +want):\n%s", diff)
			}
		})
	}
}

// TestSnapshotRestoreRoundTrip checks that Restore rebuilds a stream whose
// snapshot equals the original's, NACK order included, and that the
// restored stream keeps working.
func TestSnapshotRestoreRoundTrip(t *testing.T) {
	s := snapFixture(t)
	snap := s.Snapshot()
	r, err := Restore(deepCopy(snap))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.Snapshot(), snap, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("snapshot of the restored stream (-got +want):\n%s", diff)
	}
	g := r.Group([]byte("g1"))
	var order []ID
	g.AscendClaimOrder(func(p *Pending) bool { order = append(order, p.ID); return len(order) < 2 })
	if diff := cmp.Diff(order, []ID{{9, 0}, {3, 0}}); diff != "" {
		t.Errorf("claim order starts (-got +want):\n%s", diff)
	}
	if err := r.Append(ID{22, 0}, [][]byte{[]byte("f"), []byte("v")}, Limits{NodeMaxEntries: 4}); err != nil {
		t.Fatal(err)
	}
	r.Delete(ID{12, 0})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := r.IdmpStats(0).IidsTracked, int64(3); got != want {
		t.Errorf("IDMP IDs tracked: got %d, want %d", got, want)
	}
}

// TestRestoreCorrupt damages snapshots in ways a file could and checks
// that Restore reports each without panicking.
func TestRestoreCorrupt(t *testing.T) {
	base := snapFixture(t).Snapshot()
	cases := []struct {
		name string
		fn   func(s *Snapshot)
	}{
		{"length", func(s *Snapshot) { s.Length++ }},
		{"first ID", func(s *Snapshot) { s.FirstID = ID{2, 0} }},
		{"last ID before the last entry", func(s *Snapshot) { s.LastID = ID{3, 0} }},
		{"nodes out of order", func(s *Snapshot) { s.Nodes[0], s.Nodes[1] = s.Nodes[1], s.Nodes[0] }},
		{"master ID moves entries back", func(s *Snapshot) { s.Nodes[1].Master = ID{1, 0} }},
		{"truncated listpack", func(s *Snapshot) { s.Nodes[0].Listpack = s.Nodes[0].Listpack[:10] }},
		{"pending out of order", func(s *Snapshot) {
			p := s.Groups[1].PEL
			p[0], p[1] = p[1], p[0]
		}},
		{"no owner", func(s *Snapshot) { s.Groups[1].PEL[0].Owner, s.Groups[1].PEL[0].NackSeq = -1, 0 }},
		{"owner out of range", func(s *Snapshot) { s.Groups[1].PEL[0].Owner = 7 }},
		{"owned and nacked", func(s *Snapshot) { s.Groups[1].PEL[0].NackSeq = 3 }},
		{"duplicate group", func(s *Snapshot) { s.Groups[0].Name = s.Groups[1].Name }},
		{"duplicate consumer", func(s *Snapshot) { s.Groups[1].Consumers[1].Name = "alice" }},
		{"IDMP settings", func(s *Snapshot) { s.IdmpDuration = 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := deepCopy(base)
			tc.fn(snap)
			_, err := Restore(snap)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("got %v, want ErrCorrupt", err)
			}
		})
	}
	// Every single-byte change to every node must give an error or a
	// valid stream, never a panic.
	for ni := range base.Nodes {
		for i := range base.Nodes[ni].Listpack {
			for _, b := range []byte{0x00, 0x01, 0x7f, 0x80, 0xc0, 0xf0, 0xf4, 0xff} {
				snap := deepCopy(base)
				snap.Nodes[ni].Listpack[i] = b
				if r, err := Restore(snap); err == nil {
					if err := r.Validate(); err != nil {
						t.Fatalf("node %d byte %d = %#x: restored an invalid stream: %v", ni, i, b, err)
					}
				}
			}
		}
	}
}

// TestCheckNodeAcceptsLiveNodes checks the node validator against every
// node the stream itself writes.
func TestCheckNodeAcceptsLiveNodes(t *testing.T) {
	s := snapFixture(t)
	for i, n := range s.nodes {
		if !listpack.Validate(n.lp) {
			t.Fatalf("node %d: listpack invalid", i)
		}
		if _, _, err := checkNode(n.lp, n.master); err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
}

// bigStream returns a stream of n entries and a group with pending
// pending entries spread over ten consumers.
func bigStream(tb testing.TB, n, pending int) *Stream {
	s := New()
	fv := [][]byte{[]byte("payload"), []byte("0123456789")}
	for i := 1; i <= n; i++ {
		if err := s.Append(ID{uint64(i), 0}, fv, DefaultLimits); err != nil {
			tb.Fatal(err)
		}
	}
	g := s.CreateGroup([]byte("workers"), ID{}, 0)
	var cs []*Consumer
	for i := 0; i < 10; i++ {
		c, _ := g.LookupOrCreateConsumer([]byte(fmt.Sprint("consumer-", i)), 1)
		cs = append(cs, c)
	}
	for i := 1; i <= pending; i++ {
		g.Deliver(ID{uint64(i), 0}, cs[i%len(cs)], int64(i))
	}
	g.Advance(s, ID{uint64(pending), 0})
	return s
}

// BenchmarkSnapshot1M measures Snapshot, the part of a save done under the
// engine lock, on a stream of 1M entries with 100k pending entries.
func BenchmarkSnapshot1M(b *testing.B) {
	s := bigStream(b, 1_000_000, 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Snapshot()
	}
}

// TestSnapshot1MReport logs how long Snapshot takes on a stream of 1M
// entries with 100k pending entries, and how long the first append after
// it takes (the tail node's copy). It is skipped with -short.
func TestSnapshot1MReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1M-entry stream")
	}
	s := bigStream(t, 1_000_000, 100_000)
	best := time.Hour
	for i := 0; i < 5; i++ {
		start := time.Now()
		snap := s.Snapshot()
		best = min(best, time.Since(start))
		if len(snap.Groups[0].PEL) != 100_000 {
			t.Fatal("short PEL")
		}
	}
	t.Logf("Snapshot of 1M entries (%d nodes), 100k pending: %v", s.Nodes(), best)
}

// TestSnapshotConcurrentRead reads a snapshot's listpacks in another
// goroutine while the stream changes; the race detector checks that the
// two share no written memory.
func TestSnapshotConcurrentRead(t *testing.T) {
	s := snapFixture(t)
	snap := s.Snapshot()
	want := deepCopy(snap)
	done := make(chan string)
	go func() {
		for i := 0; i < 200; i++ {
			if diff := cmp.Diff(snap.Nodes, want.Nodes); diff != "" {
				done <- diff
				return
			}
		}
		done <- ""
	}()
	lim := Limits{NodeMaxEntries: 4}
	for i := 22; i < 200; i++ {
		s.Append(ID{uint64(i), 0}, [][]byte{[]byte("f"), []byte("v")}, lim)
		s.Delete(ID{uint64(i - 10), 0})
		s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 30})
	}
	if diff := <-done; diff != "" {
		t.Errorf("snapshot nodes changed (-got +want):\n%s", diff)
	}
}
