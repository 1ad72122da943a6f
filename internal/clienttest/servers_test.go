package clienttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/server"
)

// requireClientsEnv names the variable that turns a missing client tool
// from a skip into a failure.
const requireClientsEnv = "PELICAN_REQUIRE_CLIENTS"

// redisServerEnv names the variable that gives the redis-server binary to
// compare with; without it redis-server is looked up in PATH.
const redisServerEnv = "PELICAN_REDIS_SERVER"

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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for Pelican: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	eng := engine.New(engine.Config{Port: port, ActiveExpiry: true})
	srv := server.New(eng, server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutting Pelican down: %v", err)
		}
		if err := <-served; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Pelican's Serve returned %v", err)
		}
		eng.Close()
	})
	return target{name: "pelican", addr: l.Addr().String(), port: port,
		blocked: func() (int, error) { return eng.BlockedClients(), nil }}
}

// redisServerPath returns the redis-server binary, from
// PELICAN_REDIS_SERVER or PATH, or "" if there is none.
func redisServerPath() string {
	if bin := os.Getenv(redisServerEnv); bin != "" {
		return bin
	}
	bin, _ := exec.LookPath("redis-server")
	return bin
}

// startRedis starts a private redis-server on a free loopback port, with
// no persistence, and stops it by PID when the test ends. A missing
// redis-server skips the test or fails it (PELICAN_REQUIRE_CLIENTS=1).
func startRedis(t testing.TB) target {
	t.Helper()
	bin := redisServerPath()
	if bin == "" {
		missingTool(t, "redis-server (the reference the scenarios are checked against)",
			"apt-get install -y redis-server, or set "+redisServerEnv)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		tg, err := tryStartRedis(t, bin)
		if err == nil {
			return tg
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatalf("starting %s: %v", bin, lastErr)
	return target{}
}

// errPortTaken means another process took the port between finding it free
// and redis-server binding it.
var errPortTaken = errors.New("port already in use")

func tryStartRedis(t testing.TB, bin string) (target, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return target{}, fmt.Errorf("finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	cmd.Dir = t.TempDir()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return target{}, fmt.Errorf("starting: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		select {
		case <-exited:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitForPong(addr, exited); err != nil {
		stop()
		if bytes.Contains([]byte(out.String()), []byte("Address already in use")) {
			return target{}, errPortTaken
		}
		return target{}, fmt.Errorf("%w; its output:\n%s", err, out.String())
	}
	t.Cleanup(stop)
	return target{name: "redis", addr: addr, port: port,
		blocked: func() (int, error) { return redisBlockedClients(addr) }}, nil
}

// waitForPong polls addr with an inline PING until it answers +PONG, the
// process exits or 15 seconds pass.
func waitForPong(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("redis-server exited before answering PING")
		default:
		}
		lastErr = ping(addr)
		if lastErr == nil {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("no PONG within 15s: %v", lastErr)
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", buf)
	}
	return nil
}

// redisBlockedClients reads blocked_clients from redis-server's INFO.
func redisBlockedClients(addr string) (int, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	info, err := c.Info(context.Background(), "clients").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO clients: %w", err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, found := strings.CutPrefix(line, "blocked_clients:"); found {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("INFO clients has no blocked_clients: %q", info)
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// bothTargets returns a fresh Pelican and a fresh redis-server 7, in that
// order, for scenarios whose expectations hold on both. Without
// redis-server it returns Pelican alone and says so, unless
// PELICAN_REQUIRE_CLIENTS=1, which makes the test fail.
func bothTargets(t testing.TB) []target {
	t.Helper()
	p := startPelican(t)
	if redisServerPath() == "" && os.Getenv(requireClientsEnv) != "1" {
		t.Logf("redis-server is not installed (apt-get install -y redis-server): " +
			"running against Pelican only, without checking the expectations against Redis")
		return []target{p}
	}
	return []target{p, startRedis(t)}
}
