//go:build !pelican_crashtest

package pelican

// crashPoint marks a step where crash tests kill the process (see
// crashpoint_crashtest.go). In normal builds it does nothing and costs
// nothing.
func crashPoint(step string) {}
