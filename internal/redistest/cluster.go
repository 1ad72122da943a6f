package redistest

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of private redis-server processes.
type Cluster struct {
	// Addrs are the nodes' loopback host:port addresses.
	Addrs []string
	nodes []*Redis
}

// StartCluster starts n (at least 3) redis-server processes in cluster
// mode on free loopback ports, joins them into one cluster with
// redis-cli --cluster create (masters only), and waits until the cluster
// reports cluster_state:ok. Like StartRedis, it fails the test when
// redis-server (or redis-cli) is missing, and stops everything when the
// test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 3 {
		t.Fatalf("redistest: a Redis Cluster needs at least 3 masters, not %d", n)
	}
	bin, err := RedisServerPath()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatalf("redistest: redis-cli not found in PATH (Debian/Ubuntu: apt-get install -y redis-tools): %v", err)
	}
	cl := &Cluster{}
	for i := 0; i < n; i++ {
		conf := filepath.Join(t.TempDir(), "nodes.conf")
		// The cluster bus gets a free port of its own: the default, the
		// client port plus 10000, may be taken or beyond 65535.
		bus, err := freePort()
		if err != nil {
			t.Fatalf("redistest: %v", err)
		}
		r := StartRedisBinary(t, bin, "--cluster-enabled", "yes", "--cluster-config-file", conf,
			"--cluster-node-timeout", "5000", "--cluster-port", strconv.Itoa(bus))
		cl.nodes = append(cl.nodes, r)
		cl.Addrs = append(cl.Addrs, r.Addr)
	}
	args := append([]string{"--cluster", "create"}, cl.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(startTimeout)
	for _, r := range cl.nodes {
		for {
			state, err := clusterState(r)
			if err == nil && state == "ok" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redistest: node %s never reported cluster_state:ok (last: %q, %v)", r.Addr, state, err)
			}
			time.Sleep(pollInterval)
		}
	}
	return cl
}

func clusterState(r *Redis) (string, error) {
	c, err := r.dial()
	if err != nil {
		return "", err
	}
	defer c.Close()
	info, err := c.Do("CLUSTER", "INFO")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info.Str, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_state:"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no cluster_state in CLUSTER INFO")
}
