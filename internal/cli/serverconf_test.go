package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadConfigFile reads a file in redis.conf syntax: start-up options
// fill the options unless a flag was given, quoting follows redis-cli's,
// and the other lines are kept, with their line numbers, for the engine.
func TestReadConfigFile(t *testing.T) {
	path := writeFile(t, "redis.conf", `# a comment
bind 127.0.0.1 -::1
port 7000

requirepass "from the file"
protected-mode no
dir /var/lib/pelican
appendfsync always
hz 20
client-output-buffer-limit normal 0 0 0
  save ""
`)
	var o serverOptions
	var p engine.Persistence
	if err := readConfigFile(path, &o, &p, map[string]bool{"appendfsync": true}); err != nil {
		t.Fatal(err)
	}
	want := serverOptions{
		binds: []string{"127.0.0.1", "-::1"}, port: "7000",
		requirePass: "from the file", protectedMode: "no",
		settings: []fileSetting{
			{9, "hz", "20"},
			{10, "client-output-buffer-limit", "normal 0 0 0"},
			{11, "save", ""},
		},
	}
	if diff := cmp.Diff(want, o, cmp.AllowUnexported(serverOptions{}, tlsOptions{}, fileSetting{})); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	if p.Dir != "/var/lib/pelican" || p.AppendFsync != "" {
		t.Errorf("persistence %+v: want the file's dir and the flag's appendfsync (left alone)", p)
	}
	addrs, err := o.listenAddrs(false)
	if err != nil {
		t.Fatal(err)
	}
	wantAddrs := []listenAddr{{addr: "127.0.0.1:7000"}, {addr: "[::1]:7000", optional: true}}
	if diff := cmp.Diff(wantAddrs, addrs, cmp.AllowUnexported(listenAddr{})); diff != "" {
		t.Errorf("listen addresses (-want +got):\n%s", diff)
	}
}

// TestConfigFileErrors: a bad line stops the server before it serves,
// with the file, the line number and the line.
func TestConfigFileErrors(t *testing.T) {
	tests := []struct {
		text, want string
		noAddr     bool // leave --addr out, so the file decides
	}{
		{"port 7000\nhz 20\nno-such-setting 1\n", `:3: unknown setting "no-such-setting"`, false},
		{"hz 20\nhz fast\n", ":2: hz: argument couldn't be parsed into an integer", false},
		{"databases 16\ndatabases 8\n", ":2: databases: can't set immutable config", false},
		{"include other.conf\n", ":1: include is not supported", false},
		{"requirepass \"open\n", ":1: unbalanced quotes\n  >>> requirepass \"open", false},
		{"bind\n", ":1: bind: wrong number of arguments", false},
		{"port 0\n", "nothing to listen on: port 0 needs a tls-port", true},
		{"io-threads 0\n", `io-threads must be a number from 1 to 128, not "0"`, false},
		{"protected-mode perhaps\n", `protected-mode must be yes or no, not "perhaps"`, false},
		{"tls-port 0\ntls-port 7001\n", "tls-port needs --tls-cert-file and --tls-key-file", false},
	}
	for _, tt := range tests {
		path := writeFile(t, "redis.conf", tt.text)
		args := []string{"server", "--addr", "127.0.0.1:0", "--config", path}
		if tt.noAddr {
			args = []string{"server", "--config", path}
		}
		var stdout, stderr bytes.Buffer
		code := Main(args, &stdout, &stderr)
		if code != 2 {
			t.Errorf("%q: exit code %d, want 2 (stderr %q)", tt.text, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: stderr %q lacks %q", tt.text, stderr.String(), tt.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"server", "--config", "/no/such/file.conf"}, &stdout, &stderr); code != 2 {
		t.Errorf("a missing file: exit code %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "/no/such/file.conf: no such file or directory") {
		t.Errorf("a missing file: stderr %q", stderr.String())
	}
}

// startPelican runs the pelican command with args until the test ends,
// then stops it with SIGTERM and checks it exited cleanly.
func startPelican(t *testing.T, bin string, args ...string) *syncbuf.Buffer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("pelican server: %v\n%s", err, out.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("pelican server did not stop on SIGTERM")
		}
	})
	return out
}

// TestServerWithConfigFile starts pelican server from a configuration
// file and checks, as a client sees it, that its settings took effect and
// that a flag wins over the file.
func TestServerWithConfigFile(t *testing.T) {
	bin := buildPelican(t)
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	path := writeFile(t, "pelican.conf", "bind 127.0.0.1\nport "+port+
		"\nrequirepass secret\nhz 25\nstream-node-max-entries 50\nappendfsync always\nio-threads 2\n")
	dir := t.TempDir()
	startPelican(t, bin, "server", "--config", path, "--dir", dir, "--appendfsync", "no")
	c := redis.NewClient(&redis.Options{Addr: addr, Password: "secret"})
	defer c.Close()
	ctx := context.Background()
	waitFor(t, func() bool { return c.Ping(ctx).Err() == nil })
	got, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"bind": "127.0.0.1", "port": port, "hz": "25", "stream-node-max-entries": "50",
		"dir": dir, "appendfsync": "no", "protected-mode": "yes", "io-threads": "2",
	} {
		if got[k] != want {
			t.Errorf("CONFIG GET %s = %q, want %q", k, got[k], want)
		}
	}
}

// waitFor polls cond until it holds, for up to 20 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testPKI writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into dir, as PEM files.
func testPKI(t *testing.T, dir string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeKey := func(name string, k *ecdsa.PrivateKey) {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		write(name, "PRIVATE KEY", der)
	}
	now := time.Now()
	caKey := newKey()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Pelican test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	write("ca.crt", "CERTIFICATE", caDER)
	for i, leaf := range []struct {
		name  string
		usage x509.ExtKeyUsage
	}{{"server", x509.ExtKeyUsageServerAuth}, {"client", x509.ExtKeyUsageClientAuth}} {
		k := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: leaf.name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{leaf.usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		write(leaf.name+".crt", "CERTIFICATE", der)
		writeKey(leaf.name+".key", k)
	}
}

// TestServerTLS serves TLS next to plain TCP with Redis's options and
// talks to it with go-redis, redis-cli --tls and redis-py: clients with a
// certificate signed by the CA are served, clients without one are not.
func TestServerTLS(t *testing.T) {
	pki := t.TempDir()
	testPKI(t, pki)
	f := func(name string) string { return filepath.Join(pki, name) }
	bin := buildPelican(t)
	addr, tlsAddr := freeAddr(t), freeAddr(t)
	_, tlsPort, _ := net.SplitHostPort(tlsAddr)
	out := startPelican(t, bin, "server", "--addr", addr, "--tls-port", tlsPort,
		"--tls-cert-file", f("server.crt"), "--tls-key-file", f("server.key"), "--tls-ca-cert-file", f("ca.crt"))
	waitPong(t, addr)

	pem, err := os.ReadFile(f("ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	clientCert, err := tls.LoadX509KeyPair(f("client.crt"), f("client.key"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: tlsAddr, TLSConfig: &tls.Config{
		RootCAs: roots, Certificates: []tls.Certificate{clientCert}, ServerName: "127.0.0.1",
	}})
	defer c.Close()
	if err := c.Set(ctx, "k", "over TLS", 0).Err(); err != nil {
		t.Fatalf("go-redis over TLS: %v\n%s", err, out.String())
	}
	anon := redis.NewClient(&redis.Options{Addr: tlsAddr, MaxRetries: -1, TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil {
		t.Error("a TLS client without a certificate was served under tls-auth-clients yes")
	}
	plain := redis.NewClient(&redis.Options{Addr: addr})
	defer plain.Close()
	if v, err := plain.Get(ctx, "k").Result(); err != nil || v != "over TLS" {
		t.Errorf("plain GET k = %q, %v", v, err)
	}

	cli := exec.Command("redis-cli", "--tls", "--cacert", f("ca.crt"), "--cert", f("client.crt"), "--key", f("client.key"),
		"-h", "127.0.0.1", "-p", tlsPort, "GET", "k")
	if b, err := cli.CombinedOutput(); err != nil || strings.TrimSpace(string(b)) != "over TLS" {
		t.Errorf("redis-cli --tls GET k: %q, %v", b, err)
	}
	py := exec.Command("/usr/bin/python3", "-c", `import sys, redis
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), ssl=True, ssl_ca_certs=sys.argv[2],
                ssl_certfile=sys.argv[3], ssl_keyfile=sys.argv[4])
print(r.get("k").decode())`, tlsPort, f("ca.crt"), f("client.crt"), f("client.key"))
	if b, err := py.CombinedOutput(); err != nil || strings.TrimSpace(string(b)) != "over TLS" {
		t.Errorf("redis-py over TLS: %q, %v", b, err)
	}
	if !strings.Contains(out.String(), tlsAddr+" (TLS)") {
		t.Errorf("the start line does not name the TLS address:\n%s", out.String())
	}
}

// TestThreads: io-threads when given, else $GOMAXPROCS, else 1.
func TestThreads(t *testing.T) {
	tests := []struct {
		flag, env string
		want      int
		err       bool
	}{
		{"", "", 1, false},
		{"", "3", 3, false},
		{"", "junk", 1, false},
		{"2", "3", 2, false},
		{"128", "", 128, false},
		{"129", "", 0, true},
		{"x", "", 0, true},
	}
	for _, tt := range tests {
		o := serverOptions{ioThreads: tt.flag}
		got, err := o.threads(tt.env)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("io-threads %q, GOMAXPROCS %q: %d, %v; want %d (error %v)", tt.flag, tt.env, got, err, tt.want, tt.err)
		}
	}
}
