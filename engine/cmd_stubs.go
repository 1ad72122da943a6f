package engine

func serverCommands() []*Command { return nil }
