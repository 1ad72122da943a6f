package server_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// exchange connects to addr from the local address from (a loopback
// address other than 127.0.0.1 stands for another host: Redis's protected
// mode trusts exactly 127.0.0.1 and ::1), sends the inline commands and
// returns everything the server sent until it closed the connection (a
// QUIT follows the commands).
func exchange(t *testing.T, from, addr string, cmds ...string) string {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot connect from %s (this test needs the loopback network 127.0.0.0/8): %v", from, err)
	}
	defer conn.Close()
	for _, c := range append(cmds, "QUIT") {
		if _, err := conn.Write([]byte(c + "\r\n")); err != nil {
			break // the server may have closed already
		}
	}
	var out strings.Builder
	r := bufio.NewReader(conn)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := r.ReadString('\n')
		out.WriteString(line)
		if err != nil {
			if err != io.EOF && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("reading from %s: %v", addr, err)
			}
			return out.String()
		}
	}
}

// TestProtectedModeAgreesWithRedis checks protected mode on Pelican and on
// redis-server with the same steps: a client from another address is
// refused with DENIED while no password is set, local clients are served,
// and turning protected mode off, or setting a password, lets the other
// address in. Redis 7.0's networking.c decides the same way
// (clientAcceptHandler); the refusals are counted in rejected_connections.
func TestProtectedModeAgreesWithRedis(t *testing.T) {
	bin, err := redistest.RedisServerPath()
	if err != nil {
		t.Fatal(err)
	}
	servers := map[string]string{
		"pelican": pelicantest.StartPelican(t, engine.Config{}).Addr,
		"redis":   redistest.StartRedisBinary(t, bin, "--protected-mode", "yes").Addr,
	}
	const other = "127.0.0.2"
	steps := []struct {
		name, from string
		cmds       []string
	}{
		{"remote refused", other, []string{"PING"}},
		{"local served", "127.0.0.1", []string{"PING", "CONFIG GET protected-mode"}},
		{"remote refused again", other, []string{"PING"}},
		{"rejections counted", "127.0.0.1", []string{"INFO stats"}},
		{"turn it off", "127.0.0.1", []string{"CONFIG SET protected-mode no"}},
		{"remote served", other, []string{"PING"}},
		{"on with a password", "127.0.0.1", []string{"CONFIG SET protected-mode yes", "CONFIG SET requirepass pw"}},
		{"remote must AUTH", other, []string{"PING", "AUTH pw", "PING"}},
		{"bad value", "127.0.0.1", []string{"AUTH pw", "CONFIG SET protected-mode maybe"}},
	}
	for _, st := range steps {
		got := map[string]string{}
		for name, addr := range servers {
			out := exchange(t, st.from, addr, st.cmds...)
			if st.name == "rejections counted" {
				v, _ := redistest.InfoField(out, "rejected_connections")
				out = "rejected_connections:" + v
			}
			got[name] = out
		}
		if got["pelican"] != got["redis"] {
			t.Errorf("%s: Pelican replied\n%q\nRedis\n%q", st.name, got["pelican"], got["redis"])
		}
		if st.name == "remote refused" && !strings.HasPrefix(got["pelican"], "-DENIED ") {
			t.Errorf("%s: %q, want a DENIED error", st.name, got["pelican"])
		}
		if st.name == "rejections counted" && got["pelican"] != "rejected_connections:2" {
			t.Errorf("%s: %q, want 2", st.name, got["pelican"])
		}
	}
}
