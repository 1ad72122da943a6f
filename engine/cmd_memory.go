package engine

import (
	"runtime"
	"runtime/debug"
)

// MEMORY PURGE and MEMORY USAGE.

func memoryCommands() []*Command {
	return []*Command{
		{Name: "memory", Arity: -2, Subcommands: []*Command{
			{Name: "purge", Arity: 2, Run: memoryPurgeCommand},
			{Name: "usage", Arity: -3, Run: memoryUsageCommand},
			{Name: "help", Arity: 2, Run: memoryHelpCommand},
		}},
	}
}

// memoryPurgeCommand returns freed memory to the operating system, as
// Redis's MEMORY PURGE asks its allocator to. Benchmarks use it before
// reading the resident size.
func memoryPurgeCommand(c *Client, args [][]byte) {
	runtime.GC()
	debug.FreeOSMemory()
	c.out.Simple("OK")
}

// memoryUsageCommand estimates the bytes a key and its value occupy.
func memoryUsageCommand(c *Client, args [][]byte) {
	if len(args) != 3 && !(len(args) == 5 && equalFold(args[3], "SAMPLES")) {
		c.errorReply(errSyntax)
		return
	}
	if len(args) == 5 {
		if _, ok := c.intArg(args[4], ""); !ok {
			return
		}
	}
	o := c.e.lookupLocked(c.db, args[2])
	if o == nil {
		c.out.NullBulk()
		return
	}
	c.out.Int(int64(len(args[2]) + objectSize(o)))
}

// objectSize estimates the memory a value uses, overheads included. It
// takes constant time (for a stream, time proportional to its consumer
// groups), since the memory accounting asks it after every write.
func objectSize(o *object) int {
	const overhead = 64
	switch o.kind {
	case kindString:
		return overhead + cap(o.str)
	case kindStream:
		return overhead + o.stream.MemoryUsage()
	case kindList:
		return overhead + 32*o.list.len() + o.list.bytes
	case kindSet:
		return overhead + 48*o.set.len() + o.set.members.bytes
	case kindHash:
		return overhead + 64*o.hash.len() + o.hash.fields.bytes
	case kindZset:
		// A skip list node (member header, score, backward link, about
		// 1.33 levels) and a map entry per member.
		return overhead + 96*o.zset.set.Len() + o.zset.set.Bytes()
	}
	return overhead
}

var memoryHelp = []string{
	"PURGE",
	"    Return freed memory to the operating system.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value.",
}

func memoryHelpCommand(c *Client, args [][]byte) {
	c.writeHelp("MEMORY", memoryHelp)
}
