package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// A streamSet is what discovery found: the streams people publish to,
// and the dead-letter streams beside them.
type streamSet struct {
	// Streams are the streams, sorted, without dead-letter streams.
	Streams []string
	// DeadLetters maps a stream to its dead-letter stream, when that
	// exists (named as pelican.DeadLetterStreamOf names it).
	DeadLetters map[string]string
	// Orphans are dead-letter streams whose stream is gone.
	Orphans []string
}

// scanCount is the COUNT hint of discovery's SCAN: big enough that a
// keyspace of a million keys takes a few hundred round trips.
const scanCount = 1000

// discoverStreams lists the streams of the target's database with SCAN
// TYPE stream (on every master of a Cluster). Pelican's own keys, which
// contain ":pelican:", are left out. It walks the keyspace, not any
// stream, so a caller refreshing often should do it now and then only.
func discoverStreams(ctx context.Context, rdb redis.UniversalClient) (streamSet, error) {
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.ScanType(ctx, 0, "*", scanCount, "stream").Iterator()
		for it.Next(ctx) {
			k := it.Val()
			if strings.Contains(k, ":pelican:") {
				continue
			}
			mu.Lock()
			keys = append(keys, k)
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, rdb)
	}
	if err != nil {
		return streamSet{}, fmt.Errorf("listing streams (SCAN TYPE stream): %w", err)
	}
	return classifyStreams(keys), nil
}

// classifyStreams sorts keys into streams and dead-letter streams: a key
// is a dead-letter stream when it is DeadLetterStreamOf another key, or
// ends as one does while its stream is gone; a redrive's parked stream
// (dead-letter stream + ":parked") is one too.
func classifyStreams(keys []string) streamSet {
	set := streamSet{DeadLetters: map[string]string{}}
	have := make(map[string]bool, len(keys))
	for _, k := range keys {
		have[k] = true
	}
	dead := map[string]bool{}
	for _, k := range keys {
		if d := pelican.DeadLetterStreamOf(k); have[d] {
			set.DeadLetters[k] = d
			dead[d] = true
			if have[d+":parked"] {
				dead[d+":parked"] = true
			}
		}
	}
	suffix := pelican.DeadLetterStreamOf("")
	for _, k := range keys {
		switch {
		case dead[k]:
		case strings.HasSuffix(k, suffix) || strings.HasSuffix(k, suffix+":parked"):
			set.Orphans = append(set.Orphans, k)
		default:
			set.Streams = append(set.Streams, k)
		}
	}
	sort.Strings(set.Streams)
	sort.Strings(set.Orphans)
	return set
}
