package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/monitor"
)

// What one refresh of top may cost the server. Every figure comes from
// commands whose cost does not grow with the length of a stream (XINFO
// STREAM and GROUPS, XINFO CONSUMERS, an XPENDING summary of one entry,
// HGETALL of the workers' heartbeats); only discovery walks the keyspace,
// and only now and then.
const (
	// topRediscover is how often top looks for new streams (SCAN).
	topRediscover = 30 * time.Second
	// topParallel bounds the streams read at once.
	topParallel = 8
	// topGhostLimit bounds the ghost pending messages counted per group
	// and refresh (XPENDING from the start to the first entry).
	topGhostLimit = 1000
	// topDetailSample is how many of the oldest pending messages of the
	// group on screen are read to find the most delivered ones.
	topDetailSample = 1000
)

// A topSampler reads what top shows, one refresh at a time. It keeps
// the previous refresh's figures to compute the processing rates, and
// the list of streams between discoveries. Its methods must not be
// called concurrently; close waits for a refresh under way.
type topSampler struct {
	c      *pelican.Client
	mon    *monitor.Monitor // every stream; no delivery histogram
	detail *monitor.Monitor // the group on screen: its most-delivered messages
	fixed  []string         // streams given as arguments; nil: discover
	every  time.Duration    // rediscovery period

	mu      sync.Mutex // held by a refresh; guards the fields below
	closed  bool
	found   []string             // streams from the last discovery
	foundAt time.Time            // when they were found
	prev    map[string]ackSample // by stream "\x00" group
}

// ackSample is a group's progress at one refresh, from which the next
// computes its processing rate.
type ackSample struct {
	at        time.Time
	read      int64 // entries delivered to the group (entries-added minus lag)
	readKnown bool
	pending   int64
	handled   int64 // the workers' Processed + DeadLettered, from heartbeats
}

// newTopSampler returns a sampler of the given streams, or of every
// stream discovered when there are none.
func newTopSampler(c *pelican.Client, streams []string) *topSampler {
	return &topSampler{
		c:      c,
		mon:    monitor.New(c, monitor.Options{DeliverySample: -1, GhostLimit: topGhostLimit}),
		detail: monitor.New(c, monitor.Options{DeliverySample: topDetailSample, GhostLimit: topGhostLimit}),
		fixed:  streams,
		every:  topRediscover,
		prev:   map[string]ackSample{},
	}
}

// topRequest says what one refresh reads besides every stream.
type topRequest struct {
	// rediscover asks for a discovery now.
	rediscover bool
	// stream and group name the group on screen, whose most-delivered
	// messages are read too; empty when none is.
	stream, group string
}

// A topSnapshot is what one refresh read.
type topSnapshot struct {
	at        time.Time
	took      time.Duration
	streams   []topStream // by name
	missing   []string    // streams given as arguments that are gone
	discovery time.Time   // when the stream list was last discovered (zero: given)
	// detail is the group on screen read with a sample of its oldest
	// pending messages (nil when no group is on screen, or it is gone);
	// detailOf names it.
	detail   *monitor.GroupStats
	detailOf [2]string
}

// A topStream is a stream's figures with the processing rate of each
// of its groups.
type topStream struct {
	monitor.StreamStats
	// processed is, by group, the messages acknowledged per second since
	// the previous refresh; a group is absent until two refreshes saw it.
	processed map[string]float64
}

// stream returns the figures of the named stream.
func (s *topSnapshot) stream(name string) (topStream, bool) {
	for _, st := range s.streams {
		if st.Stream == name {
			return st, true
		}
	}
	return topStream{}, false
}

// errTopClosed is what a refresh after close returns.
var errTopClosed = errors.New("top is closing")

// close waits for a refresh under way and makes later ones fail.
func (s *topSampler) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// sample reads every stream once. A stream that vanished since the last
// discovery is left out (or listed as missing when it was given); any
// other failure fails the refresh.
func (s *topSampler) sample(ctx context.Context, req topRequest) (*topSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errTopClosed
	}
	start := time.Now()
	names, err := s.streamsLocked(ctx, req.rediscover, start)
	if err != nil {
		return nil, err
	}
	stats := make([]*monitor.StreamStats, len(names))
	var g errgroup.Group
	g.SetLimit(topParallel)
	for i, name := range names {
		g.Go(func() error {
			st, err := s.mon.Stats(ctx, name)
			switch {
			case errors.Is(err, monitor.ErrNoStream), errors.Is(err, monitor.ErrWrongType):
				return nil // gone since discovery
			case err != nil:
				return err
			}
			stats[i] = &st
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	snap := &topSnapshot{at: start, discovery: s.foundAt}
	seen := map[string]bool{}
	for i, st := range stats {
		if st == nil {
			if s.fixed != nil {
				snap.missing = append(snap.missing, names[i])
			}
			continue
		}
		snap.streams = append(snap.streams, topStream{StreamStats: *st, processed: s.ratesLocked(st, seen)})
	}
	for k := range s.prev {
		if !seen[k] {
			delete(s.prev, k)
		}
	}
	if req.group != "" {
		if err := s.detailLocked(ctx, snap, req); err != nil {
			return nil, err
		}
	}
	snap.took = time.Since(start)
	return snap, nil
}

// streamsLocked returns the streams to read: the ones given, or the
// last discovery's, discovering again when asked or when it is old.
func (s *topSampler) streamsLocked(ctx context.Context, rediscover bool, now time.Time) ([]string, error) {
	if s.fixed != nil {
		return s.fixed, nil
	}
	if s.found == nil || rediscover || now.Sub(s.foundAt) >= s.every {
		set, err := discoverStreams(ctx, s.c.Redis())
		if err != nil {
			return nil, err
		}
		s.found, s.foundAt = set.Streams, now
		if s.found == nil {
			s.found = []string{}
		}
	}
	return s.found, nil
}

// detailLocked reads the group on screen with a sample of its oldest
// pending messages. A group or stream gone leaves snap.detail nil.
func (s *topSampler) detailLocked(ctx context.Context, snap *topSnapshot, req topRequest) error {
	g, err := s.detail.Group(ctx, req.stream, req.group)
	switch {
	case errors.Is(err, monitor.ErrNoStream), errors.Is(err, monitor.ErrNoGroup), errors.Is(err, monitor.ErrWrongType):
		return nil
	case err != nil:
		return err
	}
	snap.detail, snap.detailOf = &g, [2]string{req.stream, req.group}
	return nil
}

// ratesLocked returns the processing rate of each group of st against
// the previous refresh, and keeps this one's figures for the next,
// marking their keys in seen.
//
// A group's rate is the entries delivered to it minus the growth of its
// pending list: what it acknowledged. That needs the lag (entries-added
// minus lag is entries-read); when the server cannot tell the lag, the
// workers' own counters stand in (Processed + DeadLettered, which move
// only with their heartbeats).
func (s *topSampler) ratesLocked(st *monitor.StreamStats, seen map[string]bool) map[string]float64 {
	rates := make(map[string]float64, len(st.Groups))
	for _, g := range st.Groups {
		cur := ackSample{at: st.At, pending: g.Pending}
		if g.LagKnown {
			cur.read, cur.readKnown = st.EntriesAdded-g.Lag, true
		}
		for _, c := range g.Consumers {
			cur.handled += c.Stats.Processed + c.Stats.DeadLettered
		}
		key := st.Stream + "\x00" + g.Name
		seen[key] = true
		prev, ok := s.prev[key]
		s.prev[key] = cur
		if !ok || !cur.at.After(prev.at) {
			continue
		}
		var done int64
		if cur.readKnown && prev.readKnown {
			done = (cur.read - prev.read) - (cur.pending - prev.pending)
		} else {
			done = cur.handled - prev.handled
			if done < 0 { // a worker restarted: its counters began again
				done = cur.handled
			}
		}
		rates[g.Name] = float64(max(done, 0)) / cur.at.Sub(prev.at).Seconds()
	}
	return rates
}

// sortedStreams returns names sorted, without duplicates.
func sortedStreams(names []string) []string {
	out := append([]string(nil), names...)
	sort.Strings(out)
	j := 0
	for i, n := range out {
		if i == 0 || n != out[j-1] {
			out[j] = n
			j++
		}
	}
	return out[:j]
}

// describeMissing says which given streams are gone, for the status line.
func describeMissing(missing []string) string {
	if len(missing) == 1 {
		return fmt.Sprintf("no stream %q any more", missing[0])
	}
	return fmt.Sprintf("%d of the streams given are gone: %q", len(missing), missing)
}
