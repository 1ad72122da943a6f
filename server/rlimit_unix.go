//go:build unix

package server

import (
	"log/slog"
	"syscall"
)

// reservedFiles are the file descriptors kept for the process's own use
// (listeners, the append-only files, logs) beyond one per client, as
// Redis reserves them.
const reservedFiles = 32

// AdjustOpenFilesLimit returns how many of maxClients clients the process
// can serve with its open file limit, as Redis does at start: if the soft
// limit is below maxClients plus a reserve of 32 descriptors, it raises the
// soft limit as far as it can toward that, and if that is not enough it
// logs that maxclients is reduced, and to what. It returns at least 1.
func AdjustOpenFilesLimit(maxClients int, log *slog.Logger) int {
	if log == nil {
		log = slog.Default()
	}
	want := uint64(maxClients) + reservedFiles
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("pelican: cannot read the open file limit; assuming 1024", "err", err, "maxclients", 1024-reservedFiles)
		return min(maxClients, 1024-reservedFiles)
	}
	old := lim.Cur
	if old >= want {
		return maxClients
	}
	// The most we can have, stepping down from what we want as Redis does:
	// above the hard limit only a privileged process succeeds.
	best := want
	var setErr error
	for best > old {
		l := syscall.Rlimit{Cur: best, Max: max(lim.Max, best)}
		err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
		if err == nil {
			break
		}
		setErr = err
		if best < 16 {
			best = old
			break
		}
		best -= 16
	}
	best = max(best, old)
	if best >= want {
		log.Info("pelican: increased the open file limit", "to", want, "from", old)
		return maxClients
	}
	allowed := int(best) - reservedFiles
	if allowed < 1 {
		allowed = 1
	}
	reason := "" // why the limit could not be raised further
	if setErr != nil {
		reason = setErr.Error()
	}
	log.Warn("pelican: maxclients has been reduced to compensate for a low open file limit; if you need more clients, increase 'ulimit -n'",
		"maxclients", allowed, "requested", maxClients, "needs_files", want, "open_file_limit", best, "reason", reason)
	return allowed
}
