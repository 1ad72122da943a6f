// Package cli implements the pelican command's subcommands, one file each.
package cli

import (
	"fmt"
	"io"
)

// subcommand is one "pelican <name>" command.
type subcommand struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func subcommands() []subcommand {
	return []subcommand{
		{"server", "run the Redis-compatible stream server", runServer},
		{"check", "check (and repair) a data directory's append-only files", runCheck},
	}
}

// Main runs the pelican command with the given arguments (without the
// program name) and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, sc := range subcommands() {
		if sc.name == args[0] {
			return sc.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "pelican: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: pelican <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, sc := range subcommands() {
		fmt.Fprintf(w, "  %-10s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'pelican <command> -h' for a command's flags.")
}
