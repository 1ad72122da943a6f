package cli

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/resp"
)

// serverOptions are pelican server's start-up settings: its flags, which
// win, and a configuration file in redis.conf syntax (--config).
type serverOptions struct {
	addr          string // --addr host:port
	binds         []string
	port          string // from a file's port; "" when not given
	requirePass   string
	protectedMode string
	ioThreads     string // "" when neither the flag nor the file gives it
	tls           tlsOptions
	// settings are a file's other lines, applied as CONFIG SET would once
	// the engine is open.
	settings []fileSetting
}

// tlsOptions are Redis's TLS settings.
type tlsOptions struct {
	port        string
	certFile    string
	keyFile     string
	caCertFile  string
	authClients string
}

// fileSetting is a configuration file line left for the engine.
type fileSetting struct {
	line        int
	name, value string
}

// configError is a problem in a configuration file, with its place.
type configError struct {
	file string
	line int
	text string
	msg  string
}

func (e *configError) Error() string {
	return fmt.Sprintf("%s:%d: %s\n  >>> %s", e.file, e.line, e.msg, e.text)
}

// startOption applies a file's line to a start-up setting. flag names the
// command-line flag that, when given, overrides the file; many says the
// option takes one or more arguments rather than exactly one.
type startOption struct {
	flag string
	many bool
	set  func(o *serverOptions, args []string)
}

// one makes the startOption of a single-valued option.
func one(flag string, set func(o *serverOptions, v string)) startOption {
	return startOption{flag: flag, set: func(o *serverOptions, args []string) { set(o, args[0]) }}
}

// startOptions are the configuration file's lines that shape how the
// server starts rather than a setting CONFIG SET changes: where it
// listens, where its data lives, TLS and the password.
func startOptions(p *engine.Persistence) map[string]startOption {
	return map[string]startOption{
		"bind":             {flag: "addr", many: true, set: func(o *serverOptions, args []string) { o.binds = args }},
		"port":             one("addr", func(o *serverOptions, v string) { o.port = v }),
		"requirepass":      one("requirepass", func(o *serverOptions, v string) { o.requirePass = v }),
		"io-threads":       one("io-threads", func(o *serverOptions, v string) { o.ioThreads = v }),
		"protected-mode":   one("protected-mode", func(o *serverOptions, v string) { o.protectedMode = v }),
		"tls-port":         one("tls-port", func(o *serverOptions, v string) { o.tls.port = v }),
		"tls-cert-file":    one("tls-cert-file", func(o *serverOptions, v string) { o.tls.certFile = v }),
		"tls-key-file":     one("tls-key-file", func(o *serverOptions, v string) { o.tls.keyFile = v }),
		"tls-ca-cert-file": one("tls-ca-cert-file", func(o *serverOptions, v string) { o.tls.caCertFile = v }),
		"tls-auth-clients": one("tls-auth-clients", func(o *serverOptions, v string) { o.tls.authClients = v }),
		"dir":              one("dir", func(_ *serverOptions, v string) { p.Dir = v }),
		"appendonly":       one("appendonly", func(_ *serverOptions, v string) { p.AppendOnly = v }),
		"appendfsync":      one("appendfsync", func(_ *serverOptions, v string) { p.AppendFsync = v }),
		"appenddirname":    one("appenddirname", func(_ *serverOptions, v string) { p.AppendDirName = v }),
		"appendfilename":   one("appendfilename", func(_ *serverOptions, v string) { p.AppendFilename = v }),
	}
}

// readConfigFile reads a configuration file in redis.conf syntax: one
// setting per line, its name and then its arguments, separated by white
// space and quoted as redis-cli quotes; blank lines and lines starting
// with # are skipped. Lines for start-up options fill o and p unless the
// command line gave that flag (given); the others are kept for the engine.
func readConfigFile(path string, o *serverOptions, p *engine.Persistence, given map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	opts := startOptions(p)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		bad := func(msg string) error { return &configError{file: path, line: n, text: text, msg: msg} }
		words, ok := resp.SplitArgs([]byte(text))
		if !ok {
			return bad("unbalanced quotes")
		}
		name := strings.ToLower(string(words[0]))
		args := make([]string, len(words)-1)
		for i, w := range words[1:] {
			args[i] = string(w)
		}
		if name == "include" {
			return bad("include is not supported: put the settings in one file")
		}
		if opt, ok := opts[name]; ok {
			// The line is checked even when the command line wins.
			if len(args) == 0 || (!opt.many && len(args) != 1) {
				return bad(name + ": wrong number of arguments")
			}
			if !given[opt.flag] {
				opt.set(o, args)
			}
			continue
		}
		if len(args) == 0 {
			return bad(name + ": wrong number of arguments")
		}
		if given[name] {
			continue // a flag of the same name wins
		}
		o.settings = append(o.settings, fileSetting{line: n, name: name, value: strings.Join(args, " ")})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// listenAddr is one address the server listens on.
type listenAddr struct {
	addr     string
	tls      bool
	optional bool // a bind address marked "-": skipped if unavailable
}

// listenAddrs returns the addresses to listen on, plain TCP first. --addr,
// when given, names the plain one; otherwise a file's bind and port do, as
// in Redis: "*" is every IPv4 address, "::*" every IPv6 one, a leading "-"
// marks an address that may be unavailable, and port 0 turns plain TCP
// off (leaving TLS). TLS listens on the same hosts.
func (o *serverOptions) listenAddrs(addrGiven bool) ([]listenAddr, error) {
	type host struct {
		name     string
		optional bool
	}
	var hosts []host
	for _, b := range o.binds {
		h := host{name: strings.TrimPrefix(b, "-"), optional: strings.HasPrefix(b, "-")}
		switch h.name {
		case "*":
			h.name = "0.0.0.0"
		case "::*":
			h.name = "::"
		}
		hosts = append(hosts, h)
	}
	var addrs []listenAddr
	if addrGiven || (len(hosts) == 0 && o.port == "") {
		name, _, err := net.SplitHostPort(o.addr)
		if err != nil {
			return nil, fmt.Errorf("--addr %q: %w", o.addr, err)
		}
		addrs = append(addrs, listenAddr{addr: o.addr})
		hosts = []host{{name: name}}
	} else {
		port := "6379"
		if o.port != "" {
			port = o.port
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return nil, fmt.Errorf("port must be a number from 0 to 65535, not %q", port)
		}
		if len(hosts) == 0 {
			hosts = []host{{name: "127.0.0.1"}}
		}
		if port != "0" {
			for _, h := range hosts {
				addrs = append(addrs, listenAddr{addr: net.JoinHostPort(h.name, port), optional: h.optional})
			}
		}
	}
	if o.tls.port != "" && o.tls.port != "0" {
		if _, err := strconv.ParseUint(o.tls.port, 10, 16); err != nil {
			return nil, fmt.Errorf("tls-port must be a number from 0 to 65535, not %q", o.tls.port)
		}
		for _, h := range hosts {
			addrs = append(addrs, listenAddr{addr: net.JoinHostPort(h.name, o.tls.port), tls: true, optional: h.optional})
		}
	}
	if len(addrs) == 0 {
		return nil, errors.New("nothing to listen on: port 0 needs a tls-port")
	}
	return addrs, nil
}

// config builds the TLS configuration, with Redis's rules: a certificate
// and its key are required, and tls-auth-clients (yes by default) asks
// clients for certificates signed by tls-ca-cert-file: yes requires one,
// optional checks one if given, no asks for none.
func (t *tlsOptions) config() (*tls.Config, error) {
	if t.certFile == "" || t.keyFile == "" {
		return nil, errors.New("tls-port needs --tls-cert-file and --tls-key-file")
	}
	cert, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	auth := strings.ToLower(t.authClients)
	switch auth {
	case "", "yes":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "no":
		cfg.ClientAuth = tls.NoClientCert
	default:
		return nil, fmt.Errorf("tls-auth-clients must be yes, no or optional, not %q", t.authClients)
	}
	if cfg.ClientAuth != tls.NoClientCert {
		if t.caCertFile == "" {
			return nil, errors.New("tls-auth-clients needs --tls-ca-cert-file to check client certificates (or tls-auth-clients no)")
		}
		pem, err := os.ReadFile(t.caCertFile)
		if err != nil {
			return nil, fmt.Errorf("reading the TLS CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", t.caCertFile)
		}
		cfg.ClientCAs = pool
	}
	return cfg, nil
}

// maxIOThreads is Redis's bound on io-threads.
const maxIOThreads = 128

// threads returns how many threads run Go code at once (GOMAXPROCS):
// io-threads when given; else the GOMAXPROCS environment variable when
// set; else 1, Redis's default. The engine runs one command at a time
// under its lock, so more threads mostly add the Go scheduler's cost of
// handing connections between them (BENCHMARKS.md, "Threads").
func (o *serverOptions) threads(env string) (int, error) {
	if o.ioThreads == "" {
		if n, err := strconv.Atoi(env); err == nil && n > 0 {
			return n, nil
		}
		return 1, nil
	}
	n, err := strconv.Atoi(o.ioThreads)
	if err != nil || n < 1 || n > maxIOThreads {
		return 0, fmt.Errorf("io-threads must be a number from 1 to %d, not %q", maxIOThreads, o.ioThreads)
	}
	return n, nil
}
