package engine

import (
	"strconv"
	"testing"
)

func benchArgs(words ...string) [][]byte {
	out := make([][]byte, len(words))
	for i, w := range words {
		out[i] = []byte(w)
	}
	return out
}

// BenchmarkXAdd measures XADD with an auto ID and one small field,
// through the command dispatcher (no network).
func BenchmarkXAdd(b *testing.B) {
	e := New(Config{})
	defer e.Close()
	c := e.NewClient(ClientInfo{})
	args := benchArgs("XADD", "s", "*", "payload", "0123456789")
	b.ReportAllocs()
	e.Lock()
	defer e.Unlock()
	for i := 0; i < b.N; i++ {
		c.ExecLocked(args)
		c.ResetOutput()
	}
}

// BenchmarkXReadGroup measures XREADGROUP COUNT 10 of new entries (each
// delivered into the PEL).
func BenchmarkXReadGroup(b *testing.B) {
	e := New(Config{})
	defer e.Close()
	c := e.NewClient(ClientInfo{})
	e.Lock()
	defer e.Unlock()
	for i := 1; i <= 10*b.N+10; i++ {
		c.ExecLocked(benchArgs("XADD", "s", strconv.Itoa(i)+"-0", "payload", "0123456789"))
	}
	c.ExecLocked(benchArgs("XGROUP", "CREATE", "s", "g", "0"))
	c.ResetOutput()
	args := benchArgs("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "s", ">")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.ExecLocked(args)
		c.ResetOutput()
	}
}

// BenchmarkXRange measures XRANGE from a random start with COUNT 10.
func BenchmarkXRange(b *testing.B) {
	e := New(Config{})
	defer e.Close()
	c := e.NewClient(ClientInfo{})
	e.Lock()
	defer e.Unlock()
	const n = 100000
	for i := 1; i <= n; i++ {
		c.ExecLocked(benchArgs("XADD", "s", strconv.Itoa(i)+"-0", "payload", "0123456789"))
	}
	c.ResetOutput()
	args := make([][][]byte, 1024)
	for i := range args {
		args[i] = benchArgs("XRANGE", "s", strconv.Itoa(1+i*97%n), "+", "COUNT", "10")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.ExecLocked(args[i%len(args)])
		c.ResetOutput()
	}
}

// BenchmarkReadAck measures a consumer's cycle per message: XREADGROUP
// COUNT 256 of new entries, then XACK of them, as a read loop does; with
// CLAIM, the read also looks for idle pending entries first (there are
// none), and the group keeps its claim order.
func BenchmarkReadAck(b *testing.B) {
	for _, claim := range []bool{false, true} {
		name := "plain"
		if claim {
			name = "claim"
		}
		b.Run(name, func(b *testing.B) {
			e := New(Config{})
			defer e.Close()
			c := e.NewClient(ClientInfo{})
			e.Lock()
			defer e.Unlock()
			const batch = 256
			n := (b.N/batch + 1) * batch
			for i := 1; i <= n; i++ {
				c.ExecLocked(benchArgs("XADD", "s", strconv.Itoa(i)+"-0", "payload", "0123456789"))
			}
			c.ExecLocked(benchArgs("XGROUP", "CREATE", "s", "g", "0"))
			c.ResetOutput()
			read := benchArgs("XREADGROUP", "GROUP", "g", "c", "COUNT", strconv.Itoa(batch), "STREAMS", "s", ">")
			if claim {
				read = benchArgs("XREADGROUP", "GROUP", "g", "c", "COUNT", strconv.Itoa(batch), "CLAIM", "300000", "STREAMS", "s", ">")
			}
			ack := benchArgs(append([]string{"XACK", "s", "g"}, make([]string, batch)...)...)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				c.ExecLocked(read)
				c.ResetOutput()
				for j := range batch {
					ack[3+j] = strconv.AppendInt(ack[3+j][:0], int64(i+j+1), 10)
					ack[3+j] = append(ack[3+j], "-0"...)
				}
				c.ExecLocked(ack)
				c.ResetOutput()
			}
		})
	}
}
