//go:build !unix

package server

import "log/slog"

// AdjustOpenFilesLimit returns maxClients: the platform has no open file
// limit to adjust.
func AdjustOpenFilesLimit(maxClients int, log *slog.Logger) int { return maxClients }
