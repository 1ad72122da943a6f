package clienttest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIORedis runs node/streams.js, the ioredis scenarios, against Pelican
// and against redis-server 7.
func TestIORedis(t *testing.T) {
	t.Parallel()
	node := lookTool(t, "node", "apt-get install -y nodejs npm")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "ioredis", "package.json")); err != nil {
		missingTool(t, "ioredis", "cd internal/clienttest/node && npm ci (test.sh does this)")
	}
	for i, tg := range bothTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			runScript(t, tg, i, node, "streams.js", "node")
		})
	}
}
