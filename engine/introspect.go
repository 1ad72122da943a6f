package engine

// BlockedClients returns how many clients wait in a blocking command, the
// figure INFO reports as blocked_clients. Tests poll it to know that a
// command sent on another connection has blocked.
func (e *Engine) BlockedClients() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.numBlocked
}
