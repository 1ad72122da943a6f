package cli

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/redistest"
)

func TestDialURL(t *testing.T) {
	const timeout = 3 * time.Second
	tests := []struct {
		name, url string
		// kind is "client", "failover" or "cluster"; addr what messages
		// name.
		kind, addr string
		check      func(t *testing.T, rdb redis.UniversalClient)
	}{
		{name: "redis", url: "redis://user:pw@db.internal:6380/2", kind: "client", addr: "db.internal:6380",
			check: func(t *testing.T, rdb redis.UniversalClient) {
				o := rdb.(*redis.Client).Options()
				if o.Username != "user" || o.Password != "pw" || o.DB != 2 || o.TLSConfig != nil {
					t.Errorf("options %+v", o)
				}
				if o.DialTimeout != timeout || o.ReadTimeout != timeout || o.WriteTimeout != timeout || o.DialerRetries != 1 {
					t.Errorf("timeouts %v %v %v, dialer retries %d: want --timeout and one dial", o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.DialerRetries)
				}
			}},
		{name: "rediss with skip_verify", url: "rediss://:pw@db.internal:6380?skip_verify=true&dial_timeout=1s", kind: "client", addr: "db.internal:6380",
			check: func(t *testing.T, rdb redis.UniversalClient) {
				o := rdb.(*redis.Client).Options()
				if o.TLSConfig == nil || !o.TLSConfig.InsecureSkipVerify || o.TLSConfig.ServerName != "db.internal" {
					t.Errorf("TLS %+v", o.TLSConfig)
				}
				if o.DialTimeout != time.Second || o.ReadTimeout != timeout {
					t.Errorf("dial timeout %v (the URL's), read timeout %v (--timeout)", o.DialTimeout, o.ReadTimeout)
				}
			}},
		{name: "unix", url: "unix:///run/redis.sock?db=3", kind: "client", addr: "/run/redis.sock",
			check: func(t *testing.T, rdb redis.UniversalClient) {
				if o := rdb.(*redis.Client).Options(); o.Network != "unix" || o.DB != 3 {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "sentinel", url: "redis+sentinel://s1:26379?master_name=main&addr=s2:26380&password=pw", kind: "failover", addr: "s1:26379,s2:26380"},
		{name: "sentinel over TLS", url: "rediss+sentinel://s1:26379/1?master_name=main", kind: "failover", addr: "s1:26379"},
		{name: "cluster", url: "redis+cluster://:pw@n1:7000?addr=n2:7001&addr=n3:7002", kind: "cluster", addr: "n1:7000,n2:7001,n3:7002",
			check: func(t *testing.T, rdb redis.UniversalClient) {
				o := rdb.(*redis.ClusterClient).Options()
				if o.Password != "pw" || o.DialTimeout != timeout || o.DialerRetries != 1 {
					t.Errorf("options %+v", o)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb, addr, err := dialURL(tt.url, timeout)
			if err != nil {
				t.Fatalf("dialURL(%q): %v", tt.url, err)
			}
			defer rdb.Close()
			if addr != tt.addr {
				t.Errorf("address %q, want %q", addr, tt.addr)
			}
			kind := "client"
			if _, ok := rdb.(*redis.ClusterClient); ok {
				kind = "cluster"
			} else if strings.Contains(tt.url, "sentinel") {
				kind = "failover" // NewFailoverClient returns a *redis.Client
			}
			if kind != tt.kind {
				t.Errorf("a %s client, want %s", kind, tt.kind)
			}
			if tt.check != nil {
				tt.check(t, rdb)
			}
		})
	}
}

func TestDialURLRefuses(t *testing.T) {
	tests := []struct{ url, want string }{
		{"127.0.0.1:6379", "malformed URL"},
		{"localhost", "it needs a scheme, as in redis://localhost"},
		{"http://db:80", `scheme "http" is not one of redis, rediss, unix, redis+sentinel, redis+cluster`},
		{"redis+mirror://db:6379", `scheme "redis+mirror" is not one of`},
		{"redis://[::1", "malformed URL"},
		{"redis://db:6379/x", "invalid database number"},
		{"redis://db:6379?bogus=1", "unexpected option: bogus"},
		{"unix://", "empty unix socket path"},
		{"redis+sentinel://s1:26379", "a Sentinel URL needs master_name=NAME"},
		{"unix+sentinel:///run/s.sock?master_name=m", "invalid URL scheme"},
		{"redis+cluster://n1:7000?addr=nohost", "unable to parse addr param"},
	}
	for _, tt := range tests {
		rdb, _, err := dialURL(tt.url, time.Second)
		if err == nil {
			rdb.Close()
			t.Errorf("dialURL(%q) accepted it", tt.url)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("dialURL(%q): %v; want %q", tt.url, err, tt.want)
		}
	}
	// A password never shows in a message.
	for _, u := range []string{"redis://:s3cret@db:6379?bogus=1", "redis+sentinel://user:s3cret@s1:26379", "http://:s3cret@db"} {
		_, _, err := dialURL(u, time.Second)
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "xxxxx") {
			t.Errorf("dialURL(%q): %v; want the password hidden", u, err)
		}
	}
	// Through the command: a usage error, exit 2.
	r := runCLI("streams", "--url", "redis+sentinel://user:s3cret@127.0.0.1:1")
	if r.code != 2 || !strings.Contains(r.stderr, "master_name") || strings.Contains(r.stderr, "s3cret") {
		t.Errorf("pelican streams with a Sentinel URL without master_name: exit %d, %q", r.code, r.stderr)
	}
}

// TestClusterURL lists the streams of a Redis Cluster given one node: the
// client finds the others, and discovery scans every master.
func TestClusterURL(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	ctx := context.Background()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs})
	defer rdb.Close()
	c := pelican.New(rdb, pelican.Options{})
	// {a}, {b} and {c} hash to slots 15495, 3300 and 7365: one on each
	// master of three.
	streams := []string{"{a}orders", "{b}orders", "{c}orders"}
	for _, s := range streams {
		if _, err := c.Publish(ctx, s, map[string]string{"order": s}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.XGroupCreate(ctx, "{b}orders", "billing", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: pelican.DeadLetterStreamOf("{c}orders"), Values: map[string]any{"order": "x"}}).Err(); err != nil {
		t.Fatal(err)
	}
	var holding atomic.Int64 // ForEachMaster calls in parallel
	err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		if err == nil && n > 0 {
			holding.Add(1)
		}
		return err
	})
	if err != nil || holding.Load() != 3 {
		t.Fatalf("the streams are on %d masters (%v), want 3", holding.Load(), err)
	}

	url := "redis+cluster://" + cl.Addrs[0]
	var got struct {
		Streams []streamJSON `json:"streams"`
	}
	r := runCLI("streams", "--url", url, "--json")
	if r.code != 0 {
		t.Fatalf("pelican streams --url %s: exit %d\n%s", url, r.code, r.stderr)
	}
	decode(t, r, &got)
	var names []string
	for _, s := range got.Streams {
		names = append(names, s.Stream)
		if s.Stream == "{b}orders" && (len(s.Groups) != 1 || s.Groups[0].Name != "billing") {
			t.Errorf("{b}orders: groups %+v, want billing", s.Groups)
		}
		if s.Stream == "{c}orders" && s.DeadLetters.Length != 1 {
			t.Errorf("{c}orders: %d dead letters, want 1", s.DeadLetters.Length)
		}
	}
	if !slices.Equal(names, streams) {
		t.Errorf("pelican streams on the cluster lists %v, want %v", names, streams)
	}
	for _, args := range [][]string{{"peek", "{a}orders"}, {"groups", "{b}orders"}, {"dlq", "stats", "{c}orders"}} {
		if r := runCLI(append(args, "--url", url)...); r.code != 0 {
			t.Errorf("pelican %s on the cluster: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
}

// TestSentinelURL reaches a redis-server through a Sentinel.
func TestSentinelURL(t *testing.T) {
	master := redistest.StartRedis(t)
	s := redistest.StartSentinel(t, master, "main")
	rdb := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer rdb.Close()
	if err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: "orders", Values: map[string]any{"order": "1"}}).Err(); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Streams []streamJSON `json:"streams"`
	}
	r := runCLI("streams", "--url", "redis+sentinel://"+s.Addr+"?master_name=main", "--json")
	if r.code != 0 {
		t.Fatalf("pelican streams through the Sentinel: exit %d\n%s", r.code, r.stderr)
	}
	decode(t, r, &got)
	if len(got.Streams) != 1 || got.Streams[0].Stream != "orders" || got.Streams[0].Length != 1 {
		t.Errorf("through the Sentinel: %+v, want orders with 1 entry", got.Streams)
	}
	r = runCLI("streams", "--url", "redis+sentinel://"+s.Addr+"?master_name=other", "--timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stderr, s.Addr) {
		t.Errorf("a master the Sentinel does not know: exit %d, %q", r.code, r.stderr)
	}
}
