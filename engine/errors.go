package engine

// Error replies clients see, exactly as Redis words them. Each is checked
// against redis-server by the conformance suite. Texts that embed an
// argument are built by the functions below.
const (
	errSyntax          = "ERR syntax error"
	errWrongType       = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotInteger      = "ERR value is not an integer or out of range"
	errNotFloat        = "ERR value is not a valid float"
	errNoKey           = "ERR no such key"
	errNoAuth          = "NOAUTH Authentication required."
	errExecAbort       = "EXECABORT Transaction discarded because of previous errors."
	errInvalidStreamID = "ERR Invalid stream ID specified as stream command argument"
	errDBIndex         = "ERR DB index is out of range"
	errInvalidDBIndex  = "ERR invalid DB index"
	errIncrOverflow    = "ERR increment or decrement would overflow"
	errHashNotInteger  = "ERR hash value is not an integer"
	errOutOfRange      = "ERR value is out of range, must be positive"
	errInvalidExpire   = "ERR invalid expire time in '%s' command"
	errWrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	errNoPassword      = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errMultiNested     = "ERR MULTI calls can not be nested"
	errExecNoMulti     = "ERR EXEC without MULTI"
	errDiscardNoMulti  = "ERR DISCARD without MULTI"
	errWatchInMulti    = "ERR WATCH inside MULTI is not allowed"
	errNotInMulti      = "ERR Command not allowed inside a transaction"
	errTimeoutNeg      = "ERR timeout is negative"
	errTimeoutInvalid  = "ERR timeout is not an integer or out of range"
)

// wrongArgs is the arity error of a command, named by its full name
// ("xgroup|create" for a subcommand).
func wrongArgs(fullname string) string {
	return "ERR wrong number of arguments for '" + fullname + "' command"
}

// cstr renders an argument as C's "%s" would: up to the first NUL byte.
func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// trunc renders an argument as C's "%.128s" would.
func trunc(b []byte, n int) string {
	if len(b) > n {
		b = b[:n] // not copying the rest: an argument may be large
	}
	return cstr(b)
}

// unknownCommand is the error for a command name Redis does not know.
func unknownCommand(args [][]byte) string {
	var rest []byte
	for _, a := range args[1:] {
		if len(rest) >= 128 {
			break
		}
		room := 128 - len(rest)
		rest = append(rest, '\'')
		rest = append(rest, trunc(a, room)...)
		rest = append(rest, '\'', ' ')
	}
	return "ERR unknown command '" + trunc(args[0], 128) + "', with args beginning with: " + string(rest)
}

// unknownSubcommand is the error for a subcommand a container command
// does not have.
func unknownSubcommand(container string, sub []byte) string {
	return "ERR unknown subcommand '" + trunc(sub, 128) + "'. Try " + container + " HELP."
}

// subcommandSyntax is Redis's addReplySubcommandSyntaxError.
func subcommandSyntax(container string, sub []byte) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + trunc(sub, 128) + "'. Try " + container + " HELP."
}
