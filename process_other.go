//go:build !unix

package pelican

// processExists cannot probe processes here: every process counts as
// existing, and liveness is judged by heartbeats alone.
func processExists(pid int) bool { return true }

// pidNamespace is "" where PID namespaces cannot be told apart, which
// turns off probing processes (see process.sameNamespace).
func pidNamespace() string { return "" }
