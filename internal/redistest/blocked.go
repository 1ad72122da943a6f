package redistest

import (
	"fmt"
	"time"
)

// WaitBlocked polls blocked, a server's count of blocked clients, until
// it reports want, and fails after timeout.
func WaitBlocked(blocked func() (int, error), want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n, err := blocked()
		if err != nil {
			return err
		}
		if n == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redistest: %d blocked clients after %v, want %d", n, timeout, want)
		}
		time.Sleep(pollInterval)
	}
}
