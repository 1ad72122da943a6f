// Package redistest starts servers for Pelican's tests: a private
// redis-server, the reference Pelican is compared with, and an in-process
// Pelican, both listening on loopback TCP so the same raw RESP client
// (Conn) talks to either.
package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// RedisServerEnv names the environment variable that gives the path of
// the redis-server binary; without it redis-server is looked up in PATH.
const RedisServerEnv = "PELICAN_REDIS_SERVER"

// Timeouts of the redis-server life cycle.
const (
	startTimeout = 15 * time.Second
	stopTimeout  = 5 * time.Second
	pollInterval = 5 * time.Millisecond
)

// Redis is a redis-server process private to one test.
type Redis struct {
	// Addr is the loopback host:port it listens on.
	Addr string
	// PID is the process ID.
	PID int
	// Version is redis_version from INFO server, such as "7.0.15".
	Version string
	// Password is the requirepass option given, if any; the Redis's own
	// connections (PING, INFO) authenticate with it.
	Password string

	log *syncbuf.Buffer
}

// Output returns what the server has written to stdout and stderr so far.
func (r *Redis) Output() string { return r.log.String() }

// BlockedClients returns blocked_clients from INFO clients.
func (r *Redis) BlockedClients() (int, error) {
	c, err := r.dial()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	rep, err := c.Do("INFO", "clients")
	if err != nil {
		return 0, err
	}
	v, ok := InfoField(rep.Str, "blocked_clients")
	if !ok {
		return 0, fmt.Errorf("redistest: INFO clients has no blocked_clients: %s", rep)
	}
	return strconv.Atoi(v)
}

// dial connects to the server, authenticating when it has a password.
func (r *Redis) dial() (*Conn, error) {
	c, err := DialAddr(r.Addr)
	if err != nil || r.Password == "" {
		return c, err
	}
	rep, err := c.Do("AUTH", r.Password)
	if err == nil && rep.IsError() {
		err = fmt.Errorf("AUTH: %s", rep)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// InfoField returns the value of field in an INFO reply's text.
func InfoField(info, field string) (string, bool) {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v, true
		}
	}
	return "", false
}

// RedisServerPath returns the redis-server binary to run, from
// PELICAN_REDIS_SERVER or PATH, or an error that tells how to install it.
func RedisServerPath() (string, error) {
	if p := os.Getenv(RedisServerEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", RedisServerEnv, p, err)
		}
		return p, nil
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server not found in PATH: the conformance tests compare Pelican " +
			"with a real Redis 7 and cannot run without it. Install it (Debian/Ubuntu: " +
			"apt-get install -y redis-server) or set " + RedisServerEnv + " to the binary's path")
	}
	return p, nil
}

// StartRedis starts a redis-server on a free loopback port, with no
// configuration file, no persistence and a temporary working directory,
// and waits until it answers PING. The test fails (it is never skipped)
// if redis-server is missing. The server is stopped when the test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin, err := RedisServerPath()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return StartRedisBinary(t, bin)
}

// StartRedisBinary is StartRedis with the path of the redis-server binary
// given, and extra command-line options (such as "--requirepass", "pw")
// after the fixed ones.
func StartRedisBinary(t testing.TB, bin string, options ...string) *Redis {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		r, err := startRedis(t, bin, "", options)
		if err == nil {
			return r
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatalf("redistest: starting %s: %v", bin, lastErr)
	return nil
}

// errPortTaken means another process took the port between finding it
// free and redis-server binding it; starting again on another port helps.
var errPortTaken = errors.New("port already in use")

// startRedis starts bin once on a free port: with the configuration file
// conf when not empty (redis-server wants it as its first argument), the
// fixed options, then options.
func startRedis(t testing.TB, bin, conf string, options []string) (*Redis, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	log := &syncbuf.Buffer{}
	var args []string
	if conf != "" {
		args = append(args, conf)
	}
	args = append(args,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--protected-mode", "no",
	)
	args = append(args, options...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Stdout = log
	cmd.Stderr = log
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	r := &Redis{Addr: addr, PID: cmd.Process.Pid, log: log}
	for i := 0; i+1 < len(options); i++ {
		if options[i] == "--requirepass" {
			r.Password = options[i+1]
		}
	}
	stop := func() {
		select {
		case <-exited:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	if err := waitForPing(addr, exited); err != nil {
		stop()
		if strings.Contains(log.String(), "Address already in use") {
			return nil, errPortTaken
		}
		return nil, fmt.Errorf("%w; server output:\n%s", err, log.String())
	}
	t.Cleanup(stop)
	c, err := r.dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	info, err := c.Do("INFO", "server")
	if err != nil {
		return nil, fmt.Errorf("INFO server: %w", err)
	}
	r.Version, _ = InfoField(info.Str, "redis_version")
	if r.Version == "" {
		return nil, fmt.Errorf("INFO server has no redis_version: %s", info)
	}
	return r, nil
}

// waitForPing polls addr until it answers PING with PONG, the process
// exits, or startTimeout passes.
func waitForPing(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited before answering PING")
		default:
		}
		c, err := DialAddr(addr)
		if err == nil {
			rep, err := c.Do("PING")
			c.Close()
			if err == nil && (rep.Kind == KindSimple && rep.Str == "PONG" || strings.HasPrefix(rep.Str, "NOAUTH")) {
				return nil // up, and perhaps asking for a password
			}
			if err == nil {
				err = fmt.Errorf("PING answered %s", rep)
			}
			lastErr = err
		} else {
			lastErr = err
		}
		time.Sleep(pollInterval)
	}
	return fmt.Errorf("redis-server did not answer PING within %v: %v", startTimeout, lastErr)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
