package monitor

import (
	"context"
	"errors"
	"testing"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/trim"
)

// TestSentinelsAreShared checks that an error of one operations package
// matches the sentinels of the others and of pelican, so that a caller
// using several of them checks once.
func TestSentinelsAreShared(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		if err := c.Redis().Set(ctx, "str", "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		wrongType := map[string]error{}
		_, wrongType["monitor"] = Stats(ctx, c, "str", Options{})
		_, wrongType["trim"] = trim.Run(ctx, c, trim.Policy{Stream: "str", MaxLen: 1})
		_, wrongType["dlq"] = dlq.Open(c, "str").Len(ctx)
		for pkg, err := range wrongType {
			for _, sentinel := range []error{pelican.ErrWrongType, ErrWrongType, trim.ErrWrongType, dlq.ErrWrongType} {
				if !errors.Is(err, sentinel) {
					t.Errorf("%s on a string: %v, not %v", pkg, err, sentinel)
				}
			}
		}
		noStream := map[string]error{}
		_, noStream["monitor"] = Stats(ctx, c, "nope", Options{})
		_, noStream["trim"] = trim.Run(ctx, c, trim.Policy{Stream: "nope", MaxLen: 1})
		for pkg, err := range noStream {
			for _, sentinel := range []error{pelican.ErrNoStream, ErrNoStream, trim.ErrNoStream} {
				if !errors.Is(err, sentinel) {
					t.Errorf("%s on a missing stream: %v, not %v", pkg, err, sentinel)
				}
			}
		}
	})
}
