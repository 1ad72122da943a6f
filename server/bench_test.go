package server

import (
	"bytes"
	"testing"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/resp"
)

// BenchmarkPipelinedXAdd runs batches of 16 pipelined XADDs as a
// connection does (one hold of the engine lock, parse and execute each,
// the replies gathered), without the network: the per-command cost of
// redis-benchmark -P 16 XADD on the server's side, minus the kernel's.
func BenchmarkPipelinedXAdd(b *testing.B) {
	eng := engine.New(engine.Config{})
	defer eng.Close()
	s := New(eng, Config{})
	c := eng.NewClient(engine.ClientInfo{})
	defer c.Close()
	var batch bytes.Buffer
	for range 16 {
		batch.WriteString("*5\r\n$4\r\nXADD\r\n$3\r\ns16\r\n$1\r\n*\r\n$1\r\nf\r\n$1\r\nv\r\n")
	}
	r := resp.NewReader(bytes.NewReader(nil))
	b.ReportAllocs()
	for b.Loop() {
		r.Feed(batch.Bytes())
		eng.Lock()
		s.executeBuffered(c, r)
		eng.Unlock()
		if got := bytes.Count(c.Output(), []byte("\r\n")); got != 2*16 {
			b.Fatalf("%d reply lines, want %d: %q", got, 2*16, c.Output())
		}
		c.ResetOutput()
	}
}
