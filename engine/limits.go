package engine

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Connection limits: maxclients, timeout, client-query-buffer-limit and
// client-output-buffer-limit. The engine keeps the settings (CONFIG GET and
// SET) and the counters INFO reports; the transport enforces them, asking
// for a client's limits with LimitsLocked and reporting what it did.

// AdmitClient's errors for a connection it refuses. The transport writes
// RefusalReply(err) to the connection and closes it.
var (
	// ErrMaxClients: maxclients clients are already connected.
	ErrMaxClients = errors.New("engine: max number of clients reached")
	// ErrProtectedMode: protected mode refuses a client from another host
	// while the default user has no password (see protectedMode).
	ErrProtectedMode = errors.New("engine: protected mode refuses clients from other hosts")
)

// RefusalReply returns what Redis writes to a connection it refuses for
// err, one of AdmitClient's errors.
func RefusalReply(err error) string {
	if errors.Is(err, ErrProtectedMode) {
		return errProtectedMode
	}
	return "-ERR max number of clients reached\r\n"
}

const (
	// DefaultMaxClients is the default maxclients.
	DefaultMaxClients = 10000
	// unauthQueryBufferLimit bounds the query buffer of a client that has
	// not authenticated on a server with a password, as Redis 7.4 and
	// later do.
	unauthQueryBufferLimit = 1 << 20
	// unauthOutputLimit bounds the replies queued for a client that has
	// not authenticated on a server with a password, as Redis does since
	// 7.2.8 and 8.0.1 (CVE-2025-21605): it can only be sent errors and
	// the replies to AUTH and HELLO, so a client that lets more pile up is
	// not reading them.
	unauthOutputLimit = 1024
)

// Output buffer classes of client-output-buffer-limit, in the order CONFIG
// GET reports them.
const (
	classNormal = iota
	classReplica
	classPubSub
	numOutputClasses
)

var outputClassNames = [numOutputClasses]string{"normal", "slave", "pubsub"}

// OutputLimit bounds the replies queued for a client that does not read
// them: it is disconnected when they reach Hard bytes, or stay above Soft
// bytes for longer than SoftFor. A zero field is no limit.
type OutputLimit struct {
	Hard, Soft int64
	SoftFor    time.Duration
}

// defaultOutputLimits are Redis's defaults: normal clients are not
// limited, replicas and pub/sub subscribers are.
var defaultOutputLimits = [numOutputClasses]OutputLimit{
	classNormal:  {},
	classReplica: {Hard: 256 << 20, Soft: 64 << 20, SoftFor: 60 * time.Second},
	classPubSub:  {Hard: 32 << 20, Soft: 8 << 20, SoftFor: 60 * time.Second},
}

// ClientLimits are the limits that apply to one client now.
type ClientLimits struct {
	// QueryBuffer is the most bytes of requests the client may have
	// buffered, received but not yet executed.
	QueryBuffer int64
	// Output bounds the replies queued for the client.
	Output OutputLimit
	// Idle is how long the client may send nothing before it is
	// disconnected (the timeout setting); zero is forever. It does not
	// apply to a client blocked in a command.
	Idle time.Duration
}

// LimitsLocked returns the limits that apply to the client. The engine lock
// must be held.
func (c *Client) LimitsLocked() ClientLimits {
	s := &c.e.settings
	l := ClientLimits{
		QueryBuffer: s.queryBufferLimit,
		Output:      s.outputLimits[classNormal],
		Idle:        time.Duration(s.timeout) * time.Second,
	}
	if c.subscribed() {
		// A subscriber waits for messages: it is never idle, as in Redis.
		l.Output = s.outputLimits[classPubSub]
		l.Idle = 0
	}
	if !c.authenticated && s.requirePass != "" {
		l.QueryBuffer = min(l.QueryBuffer, unauthQueryBufferLimit)
		l.Output = OutputLimit{Hard: unauthOutputLimit}
	}
	return l
}

// Limit names a limit the transport disconnected a client for.
type Limit int

// The limits counted in INFO stats.
const (
	// QueryBufferLimit is client-query-buffer-limit (or the bound on
	// unauthenticated clients' requests).
	QueryBufferLimit Limit = iota
	// OutputBufferLimit is client-output-buffer-limit (or the bound on
	// replies to unauthenticated clients).
	OutputBufferLimit
)

// CountDisconnect counts a client the transport disconnected for reaching
// a limit (INFO's client_query_buffer_limit_disconnections and
// client_output_buffer_limit_disconnections).
func (e *Engine) CountDisconnect(l Limit) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch l {
	case QueryBufferLimit:
		e.stats.queryLimitDisconnects++
	case OutputBufferLimit:
		e.stats.outputLimitDisconnects++
	}
}

// AdmitClient registers a client as NewClient does, unless it is refused,
// in Redis's order: with ErrMaxClients when maxclients clients are
// connected, then with ErrProtectedMode (see protectedMode). A refusal
// counts in INFO's rejected_connections.
func (e *Engine) AdmitClient(info ClientInfo) (*Client, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if int64(len(e.clients)) >= e.settings.maxClients {
		e.stats.rejectedConnections++
		return nil, ErrMaxClients
	}
	if e.protectedModeRefusesLocked(info.RemoteIP) {
		e.stats.rejectedConnections++
		return nil, ErrProtectedMode
	}
	return e.newClientLocked(info), nil
}

// MaxClients returns the maxclients setting.
func (e *Engine) MaxClients() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return int(e.settings.maxClients)
}

// initialMaxClients is maxclients at start: cfg.MaxClients, or the default,
// lowered to what cfg.ClientsAllowed says the process can serve.
func initialMaxClients(cfg Config) int64 {
	n := cfg.MaxClients
	if n <= 0 {
		n = DefaultMaxClients
	}
	if cfg.ClientsAllowed != nil {
		n = min(n, cfg.ClientsAllowed(n))
	}
	return int64(max(n, 1))
}

// maxClientsSetting validates CONFIG SET maxclients: a number the process
// cannot serve that many clients for is refused with Redis's error, which
// suggests the number it can.
func maxClientsSetting(e *Engine, v []byte) (func(), string) {
	apply, msg := intSetting(1, 1<<32-1, false, func(e *Engine, n int64) { e.settings.maxClients = n })(e, v)
	if msg != "" || e.cfg.ClientsAllowed == nil {
		return apply, msg
	}
	n, _ := parseNumber(v, false)
	if allowed := int64(e.cfg.ClientsAllowed(int(min(n, 1<<31-1)))); allowed < n {
		return nil, "The operating system is not able to handle the specified number of clients, try with " + strconv.FormatInt(allowed, 10)
	}
	return apply, ""
}

// outputLimitsSetting validates CONFIG SET client-output-buffer-limit:
// groups of four space-separated words, <class> <hard> <soft>
// <soft-seconds>, for the classes normal, replica (or slave) and pubsub.
// The classes given change; the others keep their limits.
func outputLimitsSetting(e *Engine, v []byte) (func(), string) {
	var words []string
	if len(v) > 0 {
		words = strings.Split(string(v), " ") // as Redis splits: "a  b" has an empty word
	}
	if len(words)%4 != 0 {
		return nil, "Wrong number of arguments in buffer limit configuration."
	}
	limits := e.settings.outputLimits
	for i := 0; i < len(words); i += 4 {
		class := -1
		switch strings.ToLower(words[i]) {
		case "normal":
			class = classNormal
		case "slave", "replica":
			class = classReplica
		case "pubsub":
			class = classPubSub
		}
		if class < 0 {
			return nil, "Invalid client class specified in buffer limit configuration."
		}
		hard, okHard := parseMemory([]byte(words[i+1]))
		soft, okSoft := parseMemory([]byte(words[i+2]))
		secs, okSecs := parseSoftSeconds(words[i+3])
		if !okHard || !okSoft || !okSecs {
			return nil, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		limits[class] = OutputLimit{
			Hard:    int64(min(hard, 1<<63-1)),
			Soft:    int64(min(soft, 1<<63-1)),
			SoftFor: time.Duration(secs) * time.Second,
		}
	}
	return func() { e.settings.outputLimits = limits }, ""
}

// parseSoftSeconds parses the soft-seconds of a buffer limit as Redis's
// strtoll into an int does: an empty word is 0, and a value that does not
// fit is refused.
func parseSoftSeconds(w string) (int64, bool) {
	if w == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(w, "+"), 10, 32)
	if err != nil || n < 0 || strings.HasPrefix(w, "+-") {
		return 0, false
	}
	return n, true
}

// formatOutputLimits renders client-output-buffer-limit as CONFIG GET does.
func formatOutputLimits(e *Engine) string {
	var b []byte
	for class, l := range e.settings.outputLimits {
		if class > 0 {
			b = append(b, ' ')
		}
		b = append(b, outputClassNames[class]...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, l.Hard, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, l.Soft, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(l.SoftFor/time.Second), 10)
	}
	return string(b)
}
