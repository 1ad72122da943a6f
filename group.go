package pelican

import (
	"context"
	"fmt"
	"sync"

	"github.com/pelicanhq/pelican/internal/rediserr"
)

// groupKeeper creates the worker's consumer group (and the stream, if
// missing) when the worker starts, and creates it again whenever it turns
// out to be gone while the worker runs: deleted with XGROUP DESTROY, or
// lost with the rest of the data by a server restarted without
// persistence, FLUSHALL, or a failover to a replica that never had it.
// Without that a worker would read NOGROUP errors forever and process
// nothing published afterwards.
type groupKeeper struct {
	w  *Worker
	mu sync.Mutex // one re-creation at a time
}

// ensure creates the group, and the stream if missing, reading from
// StartID. It reports whether it created the group (false if it existed).
func (g *groupKeeper) ensure(ctx context.Context) (bool, error) {
	cfg := &g.w.cfg
	err := g.w.c.rdb.XGroupCreateMkStream(ctx, cfg.Stream, cfg.Group, cfg.StartID).Err()
	switch {
	case err == nil:
		return true, nil
	case isBusyGroup(err):
		return false, nil
	case rediserr.IsOutOfMemory(err) && g.exists(ctx):
		// Over maxmemory XGROUP CREATE is refused before it looks for
		// the group; one that exists is all the worker needs.
		return false, nil
	}
	return false, fmt.Errorf("pelican: creating group %s of %s: %w", cfg.Group, cfg.Stream, err)
}

// exists reports whether the worker's group exists, by a read.
func (g *groupKeeper) exists(ctx context.Context) bool {
	cfg := &g.w.cfg
	groups, err := g.w.c.rdb.XInfoGroups(ctx, cfg.Stream).Result()
	if err != nil {
		return false
	}
	for _, gr := range groups {
		if gr.Name == cfg.Group {
			return true
		}
	}
	return false
}

// recreate creates the group again after a command failed with cause, a
// NOGROUP error. Whoever creates it logs it as an error and counts it: the
// lost group's pending messages and delivery counts are gone, and the
// messages still in the stream from StartID on are delivered again. Its
// failure records, which described the lost PEL, are deleted.
func (g *groupKeeper) recreate(ctx context.Context, cause error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := g.w
	created, err := g.ensure(ctx)
	if err != nil {
		w.health.report(err)
		if !isTransient(err) {
			w.log.Error("pelican: the consumer group is gone and creating it again failed", "err", err, "cause", cause)
		}
		sleep(ctx, w.health.backoff())
		return
	}
	w.health.report(nil)
	if !created {
		return // another lane or worker did
	}
	if err := w.c.rdb.Del(ctx, w.keys.failures()).Err(); err != nil {
		w.log.Warn("pelican: deleting the lost group's failure records failed", "err", err)
	}
	w.stats.groupsRecreated.Add(1)
	w.log.Error("pelican: the consumer group was gone (deleted, or lost by a server restart without persistence, FLUSHALL or a failover); created it again. The lost group's pending messages and delivery counts are gone; messages still in the stream are delivered again from the start ID",
		"start_id", w.cfg.StartID, "owned_by_this_worker", w.inflight.len(), "cause", cause)
}
