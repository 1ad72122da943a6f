package engine

func keyCommands() []*Command    { return nil }
func stringCommands() []*Command { return nil }
func hashCommands() []*Command   { return nil }
func setCommands() []*Command    { return nil }
func listCommands() []*Command   { return nil }

type listValue struct{ items [][]byte }

func (l *listValue) len() int { return len(l.items) }

type setValue struct{ m map[string]struct{} }

func (s *setValue) len() int { return len(s.m) }

type hashValue struct{ keys []string }

func (h *hashValue) len() int { return len(h.keys) }
