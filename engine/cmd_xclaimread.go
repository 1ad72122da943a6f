package engine

import (
	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// XREADGROUP ... CLAIM min-idle-time (Redis 8.4).

const errClaimNeedsNew = "ERR CLAIM option can only be used with '>' ID"

func hasIdleEntries(g *stream.Group, minIdle, now int64) bool { return false }

func (c *Client) claimIdle(s *stream.Stream, g *stream.Group, consumer *stream.Consumer, a *xreadArgs) int {
	return 0
}

func writeClaimedEntry(w *resp.Writer, id stream.ID, fv [][]byte, idle int64, count uint64) {
	writeEntry(w, id, fv)
}
