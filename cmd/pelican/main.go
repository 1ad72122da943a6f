// Command pelican runs Pelican's tools: the Redis-compatible stream server
// and, later, the operations commands.
package main

import (
	"os"

	"github.com/pelicanhq/pelican/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
