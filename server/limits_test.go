package server_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// rawConn is a client connection that writes requests and reads replies as
// raw RESP.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{c, bufio.NewReader(c)}
}

func request(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"+a+"\r\n"...)
	}
	return b
}

// do sends one command and returns its raw reply.
func (c *rawConn) do(t *testing.T, args ...string) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(request(args...)); err != nil {
		t.Fatalf("%s: %v", args[0], err)
	}
	reply, err := resp.ReadReply(c.br)
	if err != nil {
		t.Fatalf("%s: reading the reply: %v", args[0], err)
	}
	return string(reply)
}

// rest reads what the server sends until it closes the connection.
func (c *rawConn) rest(t *testing.T) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c.br)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading until the server closes: %v (got %q)", err, b)
	}
	return string(b)
}

// infoField returns a field of INFO's reply.
func infoField(t *testing.T, c *rawConn, section, field string) string {
	t.Helper()
	v, ok := redistest.InfoField(c.do(t, "INFO", section), field)
	if !ok {
		t.Fatalf("INFO %s has no %s", section, field)
	}
	return v
}

// TestMaxClientsRejectsWithRedisReply sets maxclients to 5 on Pelican and
// on redis-server: a sixth connection gets the same bytes from both, then
// the connection closes; once a client leaves, a new one is served.
func TestMaxClientsRejectsWithRedisReply(t *testing.T) {
	pelicanAddr, _ := startServer(t, engine.Config{})
	servers := []struct{ name, addr string }{
		{"redis", redistest.StartRedis(t).Addr},
		{"pelican", pelicanAddr},
	}
	got := map[string]string{}
	for _, s := range servers {
		admin := dialRaw(t, s.addr)
		if r := admin.do(t, "CONFIG", "SET", "maxclients", "5"); r != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET maxclients 5: %q", s.name, r)
		}
		var clients []*rawConn
		for i := 0; i < 4; i++ {
			c := dialRaw(t, s.addr)
			if r := c.do(t, "PING"); r != "+PONG\r\n" {
				t.Fatalf("%s: client %d: %q", s.name, i+2, r)
			}
			clients = append(clients, c)
		}
		sixth := dialRaw(t, s.addr)
		got[s.name] = sixth.rest(t)
		if r := infoField(t, admin, "stats", "rejected_connections"); r != "1" {
			t.Errorf("%s: rejected_connections %s, want 1", s.name, r)
		}
		clients[0].Close()
		// The server notices the departure asynchronously.
		deadline := time.Now().Add(10 * time.Second)
		for {
			c := dialRaw(t, s.addr)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write(request("PING"))
			r, _ := resp.ReadReply(c.br)
			if string(r) == "+PONG\r\n" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no client admitted after one left: %q", s.name, r)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if got["pelican"] != got["redis"] {
		t.Errorf("sixth connection got %q, redis-server sends %q", got["pelican"], got["redis"])
	}
	if want := "-ERR max number of clients reached\r\n"; got["pelican"] != want {
		t.Errorf("sixth connection got %q, want %q", got["pelican"], want)
	}
}

// pelicanProcess is a pelican server running as a child process, so that
// its memory and file descriptors are its own.
type pelicanProcess struct {
	addr string
	pid  int
	log  *syncbuf.Buffer // its standard error: the log
}

// startPelicanProcess builds the pelican command and runs "pelican server"
// on a free loopback port with the given flags, through sh so that shell
// (such as "ulimit -n 64") runs first. The process is stopped when the
// test ends.
func startPelicanProcess(t *testing.T, shell string, flags ...string) *pelicanProcess {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pelican")
	build := exec.Command("go", "build", "-o", bin, "github.com/pelicanhq/pelican/cmd/pelican")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building pelican: %v\n%s", err, out)
	}
	args := append([]string{"-c", shell + `; exec "$0" "$@"`, bin, "server", "--addr", "127.0.0.1:0"}, flags...)
	cmd := exec.Command("sh", args...)
	log := &syncbuf.Buffer{}
	cmd.Stderr = log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 4 && strings.HasPrefix(sc.Text(), "pelican server listening on ") {
				addrc <- f[4]
			}
		}
		cmd.Wait()
		close(exited)
	}()
	select {
	case addr := <-addrc:
		return &pelicanProcess{addr: addr, pid: cmd.Process.Pid, log: log}
	case <-exited:
		t.Fatalf("pelican server exited:\n%s", log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("pelican server did not start:\n%s", log.String())
	}
	return nil
}

// running reports whether the process is still alive (not a zombie).
func (p *pelicanProcess) running() bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// rss returns the process's resident set size in bytes.
func (p *pelicanProcess) rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		t.Fatalf("reading the server's memory: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// waitLog waits until the server's log contains s.
func (p *pelicanProcess) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.log.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the log lacks %q:\n%s", s, p.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDescriptorLimitLowersMaxClients runs pelican server with 64 open
// files allowed: it lowers maxclients to 32 and says so, as Redis does;
// connections beyond that get Redis's error instead of exhausting the
// descriptors, the server keeps running, and it serves clients again once
// the extra ones leave.
func TestDescriptorLimitLowersMaxClients(t *testing.T) {
	p := startPelicanProcess(t, "ulimit -n 64")
	if strings.Contains(p.log.String(), "increased the open file limit") {
		t.Skip("the process may raise its hard open file limit here (CAP_SYS_RESOURCE)")
	}
	p.waitLog(t, "maxclients has been reduced")
	if !strings.Contains(p.log.String(), "maxclients=32 ") {
		t.Errorf("the log does not report maxclients=32:\n%s", p.log.String())
	}
	const conns = 60
	var served, refused []*rawConn
	for i := 0; i < conns; i++ {
		c := dialRaw(t, p.addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write(request("PING"))
		r, err := resp.ReadReply(c.br)
		switch {
		case string(r) == "+PONG\r\n":
			served = append(served, c)
		case string(r) == "-ERR max number of clients reached\r\n":
			refused = append(refused, c)
		default:
			t.Fatalf("connection %d: %q, %v", i, r, err)
		}
	}
	if len(served) != 32 || len(refused) != conns-32 {
		t.Errorf("%d connections served and %d refused, want 32 and %d", len(served), len(refused), conns-32)
	}
	if r := served[0].do(t, "CONFIG", "GET", "maxclients"); r != "*2\r\n$10\r\nmaxclients\r\n$2\r\n32\r\n" {
		t.Errorf("CONFIG GET maxclients: %q", r)
	}
	want := "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 32\r\n"
	if r := served[0].do(t, "CONFIG", "SET", "maxclients", "100"); r != want {
		t.Errorf("CONFIG SET maxclients 100: %q, want %q", r, want)
	}
	if r := infoField(t, served[0], "stats", "rejected_connections"); r != strconv.Itoa(conns-32) {
		t.Errorf("rejected_connections %s, want %d", r, conns-32)
	}
	for _, c := range served {
		c.Close()
	}
	if !p.running() {
		t.Fatalf("pelican server exited:\n%s", p.log.String())
	}
	waitPong(t, p.addr)
}

// waitPong polls until the server at addr answers PING.
func waitPong(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			n, _ := io.ReadFull(c, buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PONG from %s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// flood writes request to c over and over without reading any reply,
// until the server closes the connection or 15 seconds pass, and returns
// the largest resident set size the server reached and whether it closed
// the connection.
func flood(t *testing.T, p *pelicanProcess, c net.Conn, request []byte) (maxRSS int64, closed bool) {
	t.Helper()
	chunk := bytes.Repeat(request, max(1, 64<<10/len(request)))
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if rss := p.rss(t); rss > maxRSS {
			maxRSS = rss
		}
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Write(chunk); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return maxRSS, true
		}
	}
	return maxRSS, false
}

// TestUnauthenticatedFloodIsBounded pipelines PINGs to a server with a
// password, as a client that never authenticates nor reads the NOAUTH
// errors. Redis (since 7.2.8 and 8.0.1) disconnects an unauthenticated
// client whose replies pile up past 1 KB; so does Pelican, and the
// server's memory stays small.
func TestUnauthenticatedFloodIsBounded(t *testing.T) {
	p := startPelicanProcess(t, "true", "--requirepass", "secret")
	c := dialRaw(t, p.addr)
	maxRSS, closed := flood(t, p, c, []byte("PING\r\n"))
	t.Logf("server RSS peaked at %d MB", maxRSS>>20)
	if !closed {
		t.Errorf("the flooding client was not disconnected")
	}
	if maxRSS > 100<<20 {
		t.Errorf("server RSS reached %d MB, want under 100 MB", maxRSS>>20)
	}
	p.waitLog(t, "output buffer limit")
	admin := dialRaw(t, p.addr)
	if r := admin.do(t, "AUTH", "secret"); r != "+OK\r\n" {
		t.Fatalf("AUTH: %q", r)
	}
	if r := infoField(t, admin, "stats", "client_output_buffer_limit_disconnections"); r != "1" {
		t.Errorf("client_output_buffer_limit_disconnections %s, want 1", r)
	}
}

// TestOutputBufferLimitDisconnectsANonReader pipelines XRANGE over a
// stream of 1 MB of entries without reading the replies, with
// client-output-buffer-limit set for normal clients: the client is
// disconnected when its queued replies reach the hard limit, the server's
// memory stays bounded, and the disconnection is logged and counted.
func TestOutputBufferLimitDisconnectsANonReader(t *testing.T) {
	p := startPelicanProcess(t, "true")
	admin := dialRaw(t, p.addr)
	if r := admin.do(t, "CONFIG", "SET", "client-output-buffer-limit", "normal 32mb 16mb 10"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET client-output-buffer-limit: %q", r)
	}
	value := strings.Repeat("v", 1000)
	for i := 0; i < 1000; i++ {
		admin.Write(request("XADD", "s", "*", "f", value))
	}
	for i := 0; i < 1000; i++ {
		if _, err := resp.ReadReply(admin.br); err != nil {
			t.Fatal(err)
		}
	}
	c := dialRaw(t, p.addr)
	maxRSS, closed := flood(t, p, c, request("XRANGE", "s", "-", "+"))
	t.Logf("server RSS peaked at %d MB", maxRSS>>20)
	if !closed {
		t.Errorf("the client that does not read was not disconnected")
	}
	if maxRSS > 200<<20 {
		t.Errorf("server RSS reached %d MB, want under 200 MB", maxRSS>>20)
	}
	p.waitLog(t, "closing a client that reached its output buffer limit")
	if r := infoField(t, admin, "stats", "client_output_buffer_limit_disconnections"); r != "1" {
		t.Errorf("client_output_buffer_limit_disconnections %s, want 1", r)
	}
}

// TestQueryBufferLimit sends the start of a 100 MB argument with
// client-query-buffer-limit at 8 MB: the client is disconnected, logged
// and counted. A whole 100 MB argument under the default limit is read
// with memory proportional to it, and the memory is given back after, as
// it is when clients leave with their arguments unfinished.
func TestQueryBufferLimit(t *testing.T) {
	p := startPelicanProcess(t, "true")
	admin := dialRaw(t, p.addr)
	base := p.rss(t)
	const size = 100 << 20
	header := "*2\r\n$4\r\nECHO\r\n$" + strconv.Itoa(size) + "\r\n"
	payload := bytes.Repeat([]byte("x"), 1<<20)

	// A whole argument: the reply is an error, and the memory that held
	// the argument goes back.
	c := dialRaw(t, p.addr)
	c.Write([]byte("*2\r\n$9\r\nNOSUCHCMD\r\n$" + strconv.Itoa(size) + "\r\n"))
	start := time.Now()
	var peak int64
	for i := 0; i < size/len(payload); i++ {
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
		if i%8 == 0 {
			peak = max(peak, p.rss(t))
		}
	}
	c.Write([]byte("\r\n"))
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if r, err := resp.ReadReply(c.br); err != nil || !strings.HasPrefix(string(r), "-ERR unknown command 'NOSUCHCMD'") {
		t.Fatalf("NOSUCHCMD: %q, %v", r, err)
	}
	peak = max(peak, p.rss(t))
	t.Logf("a %d MB argument: %v, server RSS %d MB at start, peak %d MB", size>>20, time.Since(start).Round(time.Millisecond), base>>20, peak>>20)
	if peak-base > 2*size {
		t.Errorf("reading a %d MB argument took %d MB, want under %d MB", size>>20, (peak-base)>>20, 2*size>>20)
	}
	deadline := time.Now().Add(20 * time.Second)
	for p.rss(t)-base > size/4 {
		if time.Now().After(deadline) {
			t.Fatalf("server RSS stays at %d MB after the argument was consumed (%d MB at start)", p.rss(t)>>20, base>>20)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Clients that leave in the middle of large arguments: the memory
	// their buffers held goes back too.
	for range 3 {
		c := dialRaw(t, p.addr)
		c.Write([]byte(header))
		for range 40 {
			if _, err := c.Write(payload); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	deadline = time.Now().Add(30 * time.Second)
	for p.rss(t)-base > size/4 {
		if time.Now().After(deadline) {
			t.Fatalf("server RSS stays at %d MB after clients left unfinished arguments (%d MB at start)", p.rss(t)>>20, base>>20)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// An unfinished argument beyond client-query-buffer-limit.
	if r := admin.do(t, "CONFIG", "SET", "client-query-buffer-limit", "8mb"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET client-query-buffer-limit: %q", r)
	}
	c = dialRaw(t, p.addr)
	c.Write([]byte(header))
	closed := false
	for i := 0; i < 64 && !closed; i++ {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Write(payload)
		closed = err != nil
	}
	if !closed {
		if got := c.rest(t); got != "" {
			t.Errorf("the client got %q", got)
		}
	}
	p.waitLog(t, "closing a client that reached its query buffer limit")
	if r := infoField(t, admin, "stats", "client_query_buffer_limit_disconnections"); r != "1" {
		t.Errorf("client_query_buffer_limit_disconnections %s, want 1", r)
	}
	if !p.running() {
		t.Fatal("pelican server exited")
	}
}

// TestIdleClientsAreClosed sets timeout to 1 second on Pelican and on
// redis-server: a client that sends nothing is disconnected, one blocked in
// XREAD is not.
func TestIdleClientsAreClosed(t *testing.T) {
	pelicanAddr, _ := startServer(t, engine.Config{})
	for _, s := range []struct{ name, addr string }{
		{"redis", redistest.StartRedis(t).Addr},
		{"pelican", pelicanAddr},
	} {
		admin := dialRaw(t, s.addr)
		if r := admin.do(t, "CONFIG", "SET", "timeout", "1"); r != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET timeout 1: %q", s.name, r)
		}
		blocked := dialRaw(t, s.addr)
		blocked.Write(request("XREAD", "BLOCK", "0", "STREAMS", "idle-test", "$"))
		idle := dialRaw(t, s.addr)
		if r := idle.do(t, "PING"); r != "+PONG\r\n" {
			t.Fatalf("%s: PING: %q", s.name, r)
		}
		start := time.Now()
		if got := idle.rest(t); got != "" {
			t.Errorf("%s: the idle client got %q", s.name, got)
		}
		t.Logf("%s closed the idle client after %v", s.name, time.Since(start).Round(time.Millisecond))
		admin = dialRaw(t, s.addr) // the first one was idle too
		if r := admin.do(t, "XADD", "idle-test", "1-1", "f", "v"); r != "$3\r\n1-1\r\n" {
			t.Fatalf("%s: XADD: %q", s.name, r)
		}
		// The blocked client outlived the timeout: it gets the entry.
		blocked.SetReadDeadline(time.Now().Add(10 * time.Second))
		if r, err := resp.ReadReply(blocked.br); err != nil || !strings.Contains(string(r), "1-1") {
			t.Errorf("%s: the blocked client got %q, %v", s.name, r, err)
		}
		admin.do(t, "CONFIG", "SET", "timeout", "0")
	}
}
