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

// BenchmarkDeadLetterMove measures moving read batches of 64 entries to a
// dead-letter stream, per entry: with a Lua script that moves each entry
// only if its XACK finds it pending (as Pelican's workers do), and with a
// plain MULTI/EXEC of the same XADDs and one XACK, which has no such
// condition.
func BenchmarkDeadLetterMove(b *testing.B) {
	const script = `
local call, unpack, tonumber = redis.call, unpack, tonumber
local argv = ARGV
local group, last = argv[1], #argv
local out = {}
local i, m = 3, 0
while i <= last do
	local id, n = argv[i], tonumber(argv[i + 1])
	m = m + 1
	if call('xack', KEYS[1], group, id) == 1 then
		out[m] = call('xadd', KEYS[2], '*', unpack(argv, i + 2, i + 1 + n))
	else
		out[m] = false
	end
	i = i + 2 + n
end
return out`
	const batch = 64
	fields := func(id string) []string {
		return []string{"payload", "0123456789012345678901234567890123456789", "pelican:original-id", id,
			"pelican:original-stream", "s", "pelican:group", "g", "pelican:consumer", "c", "pelican:deliveries", "1",
			"pelican:first-failure", "1700000000000", "pelican:last-failure", "1700000000000",
			"pelican:error", "always fails", "pelican:error-class", "permanent",
			"pelican:redrives", "0", "pelican:dead-at", "1700000000000"}
	}
	for _, form := range []string{"script", "multi"} {
		b.Run(form, func(b *testing.B) {
			e := New(Config{})
			defer e.Close()
			c := e.NewClient(ClientInfo{})
			e.Lock()
			defer e.Unlock()
			n := (b.N/batch + 1) * batch
			for i := 1; i <= n; i++ {
				c.ExecLocked(benchArgs("XADD", "s", strconv.Itoa(i)+"-0", "payload", "0123456789012345678901234567890123456789"))
			}
			c.ExecLocked(benchArgs("XGROUP", "CREATE", "s", "g", "0"))
			c.ExecLocked(benchArgs("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"))
			c.ExecLocked(benchArgs("SCRIPT", "LOAD", script))
			c.ResetOutput()
			sha := scriptSHA([]byte(script))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				if form == "script" {
					args := []string{"EVALSHA", sha, "2", "s", "s:dlq", "g", "0"}
					for j := range batch {
						id := strconv.Itoa(i+j+1) + "-0"
						f := fields(id)
						args = append(args, id, strconv.Itoa(len(f)))
						args = append(args, f...)
					}
					c.ExecLocked(benchArgs(args...))
				} else {
					c.ExecLocked(benchArgs("MULTI"))
					ack := []string{"XACK", "s", "g"}
					for j := range batch {
						id := strconv.Itoa(i+j+1) + "-0"
						c.ExecLocked(benchArgs(append([]string{"XADD", "s:dlq", "*"}, fields(id)...)...))
						ack = append(ack, id)
					}
					c.ExecLocked(benchArgs(ack...))
					c.ExecLocked(benchArgs("EXEC"))
				}
				c.ResetOutput()
			}
		})
	}
}

// BenchmarkEval measures scripts through EVALSHA: one that returns at
// once (the cost of a run itself) and one that counts to 100,000 in Lua
// (the cost per Lua instruction).
func BenchmarkEval(b *testing.B) {
	for _, bc := range []struct{ name, script string }{
		{"return", "return 1"},
		{"loop", "local n = 0 for i = 1, 100000 do n = n + i end return n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := New(Config{})
			defer e.Close()
			c := e.NewClient(ClientInfo{})
			e.Lock()
			defer e.Unlock()
			c.ExecLocked(benchArgs("SCRIPT", "LOAD", bc.script))
			c.ResetOutput()
			args := benchArgs("EVALSHA", scriptSHA([]byte(bc.script)), "0")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.ExecLocked(args)
				c.ResetOutput()
			}
		})
	}
}
