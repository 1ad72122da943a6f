package cli

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// startMute starts a server that answers the handshake and PING, as a
// Redis server would, and never answers anything else, as one that hangs
// would. It stops when the test ends.
func startMute(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				muteConn(c)
			}()
		}
	}()
	return l.Addr().String()
}

// muteConn reads commands from c: PING gets PONG, HELLO an error (as
// from a server before RESP3), CLIENT OK, the others no reply.
func muteConn(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		switch strings.ToUpper(args[0]) {
		case "PING":
			fmt.Fprint(c, "+PONG\r\n")
		case "HELLO":
			fmt.Fprint(c, "-ERR unknown command 'HELLO'\r\n")
		case "CLIENT":
			fmt.Fprint(c, "+OK\r\n")
		}
	}
}

// readCommand reads one command as a client sends it: an array of bulk
// strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("not an array: %q", line)
	}
	args := make([]string, n)
	for i := range args {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		s, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args[i] = strings.TrimSuffix(s, "\r\n")
	}
	return args, nil
}

// TestTimeoutAfterConnecting runs commands against a server that answers
// PING and then nothing: each says that the server did not answer within
// --timeout, and what to do, rather than "context deadline exceeded" or
// "i/o timeout".
func TestTimeoutAfterConnecting(t *testing.T) {
	addr := startMute(t)
	for _, args := range [][]string{
		{"streams"},
		{"groups", "orders"},
		{"pending", "orders", "g"},
		{"top", "--once"},
		{"dlq", "ls", "orders"},
		{"trim", "orders", "--maxlen", "1"},
	} {
		r := runCLI(append(args, "--url", "redis://"+addr, "--timeout", "300ms")...)
		if r.code != 1 || !strings.Contains(r.stderr, "no answer from the server within 300ms: it may be busy or stuck; a longer --timeout may help") ||
			strings.Contains(r.stderr, "i/o timeout") || strings.Contains(r.stderr, "deadline exceeded") {
			t.Errorf("pelican %s against a server that does not answer: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}
