package clienttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// requireClientsEnv names the variable that turns a missing client tool
// from a skip into a failure.
const requireClientsEnv = "PELICAN_REQUIRE_CLIENTS"

// target is a server a client scenario runs against.
type target struct {
	// name is "pelican" or "redis".
	name string
	// addr is its loopback host:port.
	addr string
	// port is addr's port.
	port int
	// blocked counts the clients blocked in a blocking command.
	blocked func() (int, error)
	// embedded, if not nil, is an in-process database without a listener:
	// go-redis clients reach it through its Dialer and addr is empty.
	embedded *embedded.DB
}

// pelican reports whether the target is Pelican, which answers as Redis
// 8.x does, rather than the reference redis-server 7.
func (tg target) pelican() bool { return tg.name == "pelican" }

// missingTool skips the test, or fails it when PELICAN_REQUIRE_CLIENTS=1,
// because a client tool is not installed. install says how to get it.
func missingTool(t testing.TB, what, install string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not available; install it with: %s", what, install)
	if os.Getenv(requireClientsEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, requireClientsEnv)
	}
	t.Skip(msg)
}

// lookTool returns the path of a command, or skips or fails the test with
// install as the remedy.
func lookTool(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missingTool(t, name, install)
	}
	return p
}

// startPelican serves a new engine on a free loopback port until the test
// ends.
func startPelican(t testing.TB) target {
	t.Helper()
	p := pelicantest.StartPelican(t, engine.Config{ActiveExpiry: true})
	return target{name: "pelican", addr: p.Addr, port: portOf(t, p.Addr), blocked: p.BlockedClients}
}

// redisAvailable reports whether a redis-server binary is there to start.
func redisAvailable() bool {
	_, err := redistest.RedisServerPath()
	return err == nil
}

// startRedis starts a private redis-server on a free loopback port, with
// no persistence, which is stopped when the test ends. A missing
// redis-server skips the test or fails it (PELICAN_REQUIRE_CLIENTS=1).
func startRedis(t testing.TB) target {
	t.Helper()
	if _, err := redistest.RedisServerPath(); err != nil {
		missingTool(t, "redis-server (the reference the scenarios are checked against)",
			"apt-get install -y redis-server, or set "+redistest.RedisServerEnv)
	}
	r := redistest.StartRedis(t)
	return target{name: "redis", addr: r.Addr, port: portOf(t, r.Addr), blocked: r.BlockedClients}
}

func portOf(t testing.TB, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return port
}

// bothTargets returns a fresh Pelican and a fresh redis-server 7, in that
// order, for scenarios whose expectations hold on both. Without
// redis-server it returns Pelican alone and says so, unless
// PELICAN_REQUIRE_CLIENTS=1, which makes the test fail.
func bothTargets(t testing.TB) []target {
	t.Helper()
	p := startPelican(t)
	if !redisAvailable() && os.Getenv(requireClientsEnv) != "1" {
		t.Logf("redis-server is not installed (apt-get install -y redis-server): " +
			"running against Pelican only, without checking the expectations against Redis")
		return []target{p}
	}
	return []target{p, startRedis(t)}
}
