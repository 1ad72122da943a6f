package dlq

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// On a real Redis Cluster, every key of a redrive shares the dead-letter
// stream's slot: entries whose stream has the same hash tag are moved,
// those whose stream is elsewhere are skipped with a reason, and a
// dead-letter stream without a hash tag is refused.
func TestRedriveCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs})
	c := pelican.New(rdb, pelican.Options{Logger: backendtest.Quiet()})
	defer c.Close()
	ctx := context.Background()

	rdCreateGroup(t, rdb, "{orders}", "billing")
	q := ForStream(c, "{orders}")
	for i := range 5 {
		rdAddDead(t, rdb, q.Name(), rdDead{n: i, stream: "{orders}", group: "billing"})
	}
	rdAddDead(t, rdb, q.Name(), rdDead{n: 5, stream: "{orders}", group: "billing", redrives: "3"})
	rdAddDead(t, rdb, q.Name(), rdDead{n: 6, stream: "payments", group: "billing"})

	plan, err := q.PlanRedrive(ctx, Selector{All: true}, RedriveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Redrive != 5 || plan.Park != 1 || plan.SkipReasons[SkipCrossSlot] != 1 {
		t.Errorf("plan %+v", plan)
	}
	j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := rdWait(t, j)
	if err != nil || p.Moved != 5 || p.Parked != 1 || p.Skipped != 1 {
		t.Fatalf("progress %+v, %v", p, err)
	}
	if got := rdNumbers(t, rdb, "{orders}"); !slices.Equal(got, rdSeq(0, 5)) {
		t.Errorf("{orders} holds %v", got)
	}
	if got := rdNumbers(t, rdb, q.Name()); !slices.Equal(got, []string{"6"}) {
		t.Errorf("left %v, want the entry of another slot", got)
	}
	if n := rdLen(t, rdb, q.Parked().Name()); n != 1 {
		t.Errorf("parked %d", n)
	}
	if jobs, err := q.RedriveJobs(ctx); err != nil || len(jobs) != 1 || jobs[0].State != StateDone {
		t.Errorf("jobs %+v, %v", jobs, err)
	}
	// Resuming, cancelling and the lost-reply path use the same keys.
	if err := q.CancelRedrive(ctx, j.ID()); err != nil {
		t.Errorf("CancelRedrive: %v", err)
	}
	if _, err := q.ResumeRedrive(ctx, j.ID(), RedriveOptions{}); err != nil {
		t.Errorf("ResumeRedrive: %v", err)
	}

	untagged := ForStream(c, "plain")
	if _, err := untagged.Redrive(ctx, Selector{All: true}, RedriveOptions{}); !errors.Is(err, pelican.ErrCrossSlot) {
		t.Errorf("Redrive of an untagged dead-letter stream: %v, want ErrCrossSlot", err)
	}
	if _, err := untagged.PlanRedrive(ctx, Selector{All: true}, RedriveOptions{}); !errors.Is(err, pelican.ErrCrossSlot) {
		t.Errorf("PlanRedrive of an untagged dead-letter stream: %v, want ErrCrossSlot", err)
	}
}
