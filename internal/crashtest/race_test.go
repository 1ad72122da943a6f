//go:build race

package crashtest

// raceEnabled says the test runs under the race detector: the worker
// processes are then built with it too.
const raceEnabled = true
