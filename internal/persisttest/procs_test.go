// Package persisttest proves that a data directory moves between Pelican
// and redis-server 7.0 in both directions: a workload runs on one server,
// the server is stopped (Pelican with SIGKILL, Redis with SIGTERM), the
// other server starts on the same directory, and what each reports is
// compared reply by reply. It also holds regression tests of known Redis
// stream-persistence bugs and a Pelican restart-equivalence test.
//
// Every process is started by the test itself, on a free loopback port
// and a directory of the test's own, and stopped by its PID.
package persisttest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// redisServerBin is the reference server; the tests are written against
// 7.0.15 (the fields XINFO STREAM FULL reports, its persistence bugs).
const (
	redisServerBin = "/usr/bin/redis-server"
	redisCheckAOF  = "/usr/bin/redis-check-aof"
	redisVersion   = "7.0.15"
)

// Timeouts of a server's life cycle.
const (
	startTimeout = 20 * time.Second
	stopTimeout  = 10 * time.Second
	pollInterval = 5 * time.Millisecond
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// pelicanBin builds the pelican command once per test binary and returns
// its path.
func pelicanBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "pelican-persisttest-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+string(filepath.Separator),
			"github.com/pelicanhq/pelican/cmd/pelican").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/pelican: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building pelican: %v", buildErr)
	}
	return filepath.Join(binDir, "pelican")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// server is a pelican server or redis-server process started by a test.
type server struct {
	name   string // "pelican" or "redis"
	addr   string
	pid    int
	out    *syncbuf.Buffer
	exited chan struct{}
	start  int64 // Unix ms just before the process started
}

// errExited means the process exited before answering PING; the error
// carries its output.
var errExited = errors.New("exited before answering PING")

// startProcess starts bin with args (a "%PORT%" argument becomes a free
// port) and waits until it answers PING. A port taken in the meantime is
// retried on another one.
func startProcess(t *testing.T, name, bin string, args ...string) (*server, error) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var s *server
		s, err = tryStart(t, name, bin, args)
		if err == nil {
			return s, nil
		}
		if !strings.Contains(strings.ToLower(err.Error()), "address already in use") {
			break
		}
	}
	return nil, err
}

func tryStart(t *testing.T, name, bin string, args []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	argv := make([]string, len(args))
	for i, a := range args {
		argv[i] = strings.ReplaceAll(a, "%PORT%", strconv.Itoa(port))
	}
	cmd := exec.Command(bin, argv...)
	s := &server{name: name, addr: addr, out: &syncbuf.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	setParentDeathSignal(cmd)
	s.start = time.Now().UnixMilli()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s.pid = cmd.Process.Pid
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.kill)
	if err := s.waitPing(); err != nil {
		s.kill()
		return nil, fmt.Errorf("%s %s: %w; output:\n%s", name, strings.Join(argv, " "), err, s.out.String())
	}
	return s, nil
}

// startPelican starts "pelican server --dir dir" with extra options.
func startPelican(t *testing.T, dir string, extra ...string) *server {
	t.Helper()
	s, err := startPelicanErr(t, dir, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startPelicanErr(t *testing.T, dir string, extra ...string) (*server, error) {
	t.Helper()
	args := append([]string{"server", "--addr", "127.0.0.1:%PORT%", "--dir", dir}, extra...)
	return startProcess(t, "pelican", pelicanBin(t), args...)
}

// startRedis starts redis-server 7.0.15 on dir with extra options (such
// as "--appendonly", "yes"), and checks its version.
func startRedis(t *testing.T, dir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"--port", "%PORT%", "--bind", "127.0.0.1", "--save", "",
		"--protected-mode", "no", "--dir", dir}, extra...)
	s, err := startProcess(t, "redis", redisServerBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	info := s.dial(t).MustDo(t, "INFO", "server")
	if v, _ := redistest.InfoField(info.Str, "redis_version"); v != redisVersion {
		t.Fatalf("%s is redis %s; these tests are written against %s", redisServerBin, v, redisVersion)
	}
	return s
}

func (s *server) waitPing() error {
	deadline := time.Now().Add(startTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errExited
		default:
		}
		c, err := redistest.DialAddr(s.addr)
		if err == nil {
			var rep redistest.Reply
			rep, err = c.Do("PING")
			c.Close()
			if err == nil && rep.Str == "PONG" {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("PING answered %s", rep)
			}
		}
		last = err
		time.Sleep(pollInterval)
	}
	return fmt.Errorf("no PONG within %v: %v", startTimeout, last)
}

// dial connects to the server; the connection closes when the test ends.
func (s *server) dial(t *testing.T) *redistest.Conn {
	t.Helper()
	return redistest.Dial(t, s.addr)
}

// kill sends SIGKILL to the process and waits until it has been reaped.
func (s *server) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = syscall.Kill(s.pid, syscall.SIGKILL)
	<-s.exited
}

// stop sends SIGTERM, with which both servers write and fsync what is
// pending, and waits for the process to exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		t.Fatalf("%s exited before it was stopped; output:\n%s", s.name, s.out.String())
	default:
	}
	_ = syscall.Kill(s.pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.kill()
		t.Fatalf("%s did not exit within %v of SIGTERM; output:\n%s", s.name, stopTimeout, s.out.String())
	}
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
