package engine

import (
	"net"
	"strings"
)

// errProtectedMode is what a client from outside the loopback interface
// reads (RefusalReply), before its connection is closed, while protected mode is on and
// the default user has no password: Redis's reply, word for word, since
// clients and operators search for it.
const errProtectedMode = "-DENIED Redis is running in protected mode because protected " +
	"mode is enabled and no password is set for the default user. " +
	"In this mode connections are only accepted from the loopback interface. " +
	"If you want to connect from external computers to Redis you " +
	"may adopt one of the following solutions: " +
	"1) Just disable protected mode sending the command " +
	"'CONFIG SET protected-mode no' from the loopback interface " +
	"by connecting to Redis from the same host the server is " +
	"running, however MAKE SURE Redis is not publicly accessible " +
	"from internet if you do so. Use CONFIG REWRITE to make this " +
	"change permanent. " +
	"2) Alternatively you can just disable the protected mode by " +
	"editing the Redis configuration file, and setting the protected " +
	"mode option to 'no', and then restarting the server. " +
	"3) If you started the server manually just for testing, restart " +
	"it with the '--protected-mode no' option. " +
	"4) Setup a an authentication password for the default user. " +
	"NOTE: You only need to do one of the above things in order for " +
	"the server to start accepting connections from the outside.\r\n"

// The connection settings CONFIG GET and CONFIG SET see: protected-mode
// changes at run time; bind names the addresses listened on and, as the
// listener belongs to the server, only its own value can be set.
func init() {
	configParams = append(configParams,
		configParam{name: "protected-mode",
			get: func(e *Engine) string { return yesNo(!e.settings.unprotected) },
			set: func(e *Engine, v []byte) (func(), string) {
				if !equalFold(v, "YES") && !equalFold(v, "NO") {
					return nil, "argument must be 'yes' or 'no'"
				}
				on := equalFold(v, "YES")
				return func() { e.settings.unprotected = !on }, ""
			}},
		configParam{name: "bind",
			get: func(e *Engine) string { return strings.Join(e.cfg.Bind, " ") },
			set: func(e *Engine, v []byte) (func(), string) {
				if strings.Join(strings.Fields(string(v)), " ") != strings.Join(e.cfg.Bind, " ") {
					return nil, errImmutable
				}
				return func() {}, ""
			}},
	)
}

// protectedModeRefusesLocked reports whether Redis's protected mode
// refuses a TCP client at ip ("" for other transports, in-process
// connections and sockets local by nature): it refuses clients from any
// address but 127.0.0.1 and ::1 while it is on and the default user has
// no password.
func (e *Engine) protectedModeRefusesLocked(ip string) bool {
	return !e.settings.unprotected && e.settings.requirePass == "" && ip != "" && ip != "127.0.0.1" && ip != "::1"
}

// ProtectedModeWarning returns what an operator should be told at start
// about clients from other hosts, given the addresses the server listens
// on, or "" when it listens on loopback only.
func (e *Engine) ProtectedModeWarning(listening []string) string {
	public := false
	for _, a := range listening {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			host = a
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			public = true
		}
	}
	if !public {
		return ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.settings.requirePass != "":
		return ""
	case e.settings.unprotected:
		return "listening beyond the loopback interface with protected mode off and no password: anyone who can reach this port can read and change every key"
	default:
		return "protected mode is on and no password is set: clients from other hosts are refused (DENIED); set --requirepass, or --protected-mode no on a trusted network"
	}
}
