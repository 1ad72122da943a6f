package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/engine"
)

// defaultURL is the server a command reaches when neither --url,
// $PELICAN_URL nor --dir says otherwise.
const defaultURL = "redis://127.0.0.1:6379"

// defaultTimeout is --timeout's default.
const defaultTimeout = 5 * time.Second

// targetAnnotation marks a command that reaches its target with these
// flags, so that Main explains its timeouts (see explainTimeout).
const targetAnnotation = "pelican-target"

// urlEnv names the environment variable that stands in for --url.
const urlEnv = "PELICAN_URL"

// A target is where a command finds its streams: a Redis-compatible
// server (--url) or a data directory opened in this process (--dir).
type target struct {
	url     string
	dir     string
	timeout time.Duration
	cmd     *cobra.Command // for its stderr
	// logs takes the log records of the client open returns: its
	// warnings and errors, on stderr.
	logs logLines
}

// addFlags adds --url, --dir and --timeout to cmd.
func (t *target) addFlags(cmd *cobra.Command) {
	t.cmd = cmd
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[targetAnnotation] = "--timeout"
	fs := cmd.Flags()
	fs.StringVar(&t.url, "url", "", "server to reach: redis://[user:password@]host:port[/db], rediss:// for TLS, unix:///path, redis+sentinel://…?master_name=NAME, redis+cluster://… (default $"+urlEnv+", else "+defaultURL+")")
	fs.StringVar(&t.dir, "dir", "", "open this data directory in-process instead of reaching a server (only while no server holds it)")
	durationVar(fs, &t.timeout, "timeout", defaultTimeout, "how long to wait for the server to answer")
	_ = cmd.MarkFlagDirname("dir")
	cmd.MarkFlagsMutuallyExclusive("url", "dir")
}

// where says in a few words what the target is, for messages.
func (t *target) where() string {
	if t.dir != "" {
		return "data directory " + t.dir
	}
	return redactURL(t.serverURL())
}

// command writes a command line for the user to run against the same
// target: "pelican", the words (quoted for a shell where they need it),
// then --dir, or --url as given (its password hidden, which the line
// then says), and --timeout unless it is the default. A URL from
// $PELICAN_URL is left out: the variable still applies when the line
// is run.
func (t *target) command(words ...string) string {
	var b strings.Builder
	b.WriteString("pelican")
	for _, w := range words {
		b.WriteString(" " + shellWord(w))
	}
	hidden := false
	switch {
	case t.dir != "":
		b.WriteString(" --dir " + shellWord(t.dir))
	case t.url != "":
		shown := redactURL(t.url)
		hidden = shown != t.url
		b.WriteString(" --url " + shellWord(shown))
	}
	if t.timeout != defaultTimeout && t.timeout != 0 {
		b.WriteString(" --timeout " + durationText(t.timeout))
	}
	if hidden {
		b.WriteString(" (password hidden)")
	}
	return b.String()
}

// shellWord quotes s for a POSIX shell when it holds anything but
// letters, digits and a few harmless characters.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+=,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// serverURL is the URL the target reaches when it has no directory.
func (t *target) serverURL() string {
	switch {
	case t.url != "":
		return t.url
	case os.Getenv(urlEnv) != "":
		return os.Getenv(urlEnv)
	}
	return defaultURL
}

// open connects to the target and checks that it answers. The client's
// Close releases everything, the data directory included.
func (t *target) open(ctx context.Context) (*pelican.Client, error) {
	if t.dir != "" {
		return t.openDir()
	}
	rdb, addr, err := dialURL(t.serverURL(), t.timeout)
	if err != nil {
		return nil, usageErrorf("--url: %v", err)
	}
	pctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, explainConnect(err, addr, t.timeout)
	}
	return pelican.New(rdb, pelican.Options{Logger: t.logger()}), nil
}

// logger is the logger of the client open returns: warnings and errors
// (the engine's about a damaged file it repaired, say, or the library's
// about a failed batch) go to stderr, through t.logs; the library's
// reports of what went well ("redrive ended") do not, as the command
// says so itself.
func (t *target) logger() *slog.Logger {
	t.logs.w = t.cmd.ErrOrStderr()
	return slog.New(slog.NewTextHandler(&t.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openDir opens the data directory in this process.
func (t *target) openDir() (*pelican.Client, error) {
	fi, err := os.Stat(t.dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("no data directory at %s: give the --dir a server was started with, or --url to reach a server", t.dir)
	case err != nil:
		return nil, fmt.Errorf("data directory: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("%s is not a directory", t.dir)
	}
	c, err := embedded.New(pelican.Options{Logger: t.logger()}, embedded.Dir(t.dir))
	if errors.Is(err, engine.ErrDirInUse) {
		return nil, fmt.Errorf("data directory %s is in use by a running server: reach that server with --url redis://HOST:PORT instead of --dir", t.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", t.dir, err)
	}
	return c, nil
}

// dialURL returns a go-redis client for a URL, and the address it names
// for messages. Schemes: redis, rediss and unix as go-redis parses them;
// redis+sentinel and rediss+sentinel (go-redis's failover URL, which needs
// master_name); redis+cluster and rediss+cluster (its cluster URL, more
// nodes given as addr parameters).
func dialURL(raw string, timeout time.Duration) (redis.UniversalClient, string, error) {
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("malformed URL %q: %s", redactURL(raw), fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", malformed("%v", errors.Unwrap(err))
	}
	base, kind, _ := strings.Cut(u.Scheme, "+")
	switch {
	case u.Scheme == "":
		return nil, "", malformed("it needs a scheme, as in redis://%s", redactURL(raw))
	case base != "redis" && base != "rediss" && base != "unix" || kind != "" && kind != "sentinel" && kind != "cluster":
		return nil, "", malformed("scheme %q is not one of redis, rediss, unix, redis+sentinel, redis+cluster", u.Scheme)
	}
	plain := *u
	plain.Scheme = base
	switch kind {
	case "sentinel":
		o, err := redis.ParseFailoverURL(plain.String())
		if err != nil {
			return nil, "", malformed("%v", err)
		}
		if o.MasterName == "" {
			return nil, "", malformed("a Sentinel URL needs master_name=NAME")
		}
		applyTimeout(timeout, &o.DialerRetries, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
		return redis.NewFailoverClient(o), strings.Join(o.SentinelAddrs, ","), nil
	case "cluster":
		o, err := redis.ParseClusterURL(plain.String())
		if err != nil {
			return nil, "", malformed("%v", err)
		}
		applyTimeout(timeout, &o.DialerRetries, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
		return redis.NewClusterClient(o), strings.Join(o.Addrs, ","), nil
	}
	o, err := redis.ParseURL(plain.String())
	if err != nil {
		return nil, "", malformed("%v", err)
	}
	applyTimeout(timeout, &o.DialerRetries, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
	return redis.NewClient(o), o.Addr, nil
}

// applyTimeout applies the command's --timeout to the timeouts the URL
// left unset, and makes a refused dial fail at once rather than after
// go-redis's five attempts per command (which, with its retries, took
// seconds to say that nothing listens), unless the URL sets
// dialer_retries. It also silences go-redis's own log, whose lines about
// failed dials would repeat what the command says once (and tear top's
// screen).
func applyTimeout(timeout time.Duration, dialerRetries *int, timeouts ...*time.Duration) {
	redis.SetLogger(quietRedisLog{})
	for _, d := range timeouts {
		if *d == 0 {
			*d = timeout
		}
	}
	if *dialerRetries == 0 {
		*dialerRetries = 1
	}
}

// redactURL hides a URL's password, for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// quietRedisLog drops go-redis's log lines.
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}
