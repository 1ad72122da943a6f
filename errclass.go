package pelican

import "github.com/pelicanhq/pelican/internal/rediserr"

// The worker's names for the error classes of internal/rediserr, the one
// place where Redis's errors are told apart.
var (
	isNoGroup   = rediserr.IsNoGroup
	isBusyGroup = rediserr.IsBusyGroup
	// isTransient reports whether err says the server cannot be reached
	// or cannot serve for now (see health).
	isTransient = rediserr.IsTransient
)
