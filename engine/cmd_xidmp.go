package engine

import "github.com/pelicanhq/pelican/stream"

// Producer-side deduplication: XADD IDMP and IDMPAUTO (Redis 8.6).

type idmpMode int

const (
	idmpNone idmpMode = iota
	idmpExplicit
	idmpAuto
)

type idmpArgs struct {
	mode     idmpMode
	producer []byte
	iid      []byte
}

const errIdmpExplicitID = "ERR IDMP/IDMPAUTO can be used only with auto-generated IDs"

// parseIdmpArgs parses IDMP <pid> <iid> or IDMPAUTO <pid> at args[i] and
// returns how many arguments after args[i] it consumed.
func (c *Client) parseIdmpArgs(args [][]byte, i int, a *idmpArgs) (int, bool) {
	c.errorReply(errSyntax)
	return 0, false
}

func (c *Client) idmpLookup(s *stream.Stream, fv [][]byte, a *idmpArgs) (stream.ID, bool) {
	return stream.ID{}, false
}

func (c *Client) idmpRecord(s *stream.Stream, id stream.ID, fv [][]byte, a *idmpArgs) {}

type infoField struct {
	name  string
	value int64
}

func idmpInfoFields(s *stream.Stream) []infoField { return nil }
