package engine

import (
	"os"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/aof"
)

// The persistence settings CONFIG GET and CONFIG SET see. Those fixed
// when the engine opens its directory (where the files are, whether there
// is an append-only file) are immutable, as in Redis; appendfsync and the
// automatic rewrite's thresholds change at run time.
func init() {
	configParams = append(configParams,
		configParam{name: "appendonly",
			get: func(e *Engine) string { return yesNo(e.disk != nil && e.disk.log != nil) },
			set: func(e *Engine, v []byte) (func(), string) {
				return fixedBool(yesNo(e.disk != nil && e.disk.log != nil))(e, v)
			}},
		configParam{name: "appendfsync",
			get: func(e *Engine) string {
				if e.disk == nil || e.disk.log == nil {
					return e.settings.appendFsync.String()
				}
				return e.disk.log.Policy().String()
			},
			set: func(e *Engine, v []byte) (func(), string) {
				p, ok := aof.ParsePolicy(string(v))
				if !ok {
					return nil, "argument(s) must be one of the following: always, everysec, no"
				}
				return func() {
					e.settings.appendFsync = p
					if e.disk != nil && e.disk.log != nil {
						e.disk.log.SetPolicy(p)
					}
				}, ""
			}},
		configParam{name: "appenddirname", get: func(e *Engine) string { return e.persistence().AppendDirName },
			set: func(e *Engine, v []byte) (func(), string) { return fixedString(e.persistence().AppendDirName)(e, v) }},
		configParam{name: "appendfilename", get: func(e *Engine) string { return e.persistence().AppendFilename },
			set: func(e *Engine, v []byte) (func(), string) { return fixedString(e.persistence().AppendFilename)(e, v) }},
		configParam{name: "dbfilename", get: func(e *Engine) string { return e.persistence().DBFilename },
			set: func(e *Engine, v []byte) (func(), string) {
				if string(v) != e.persistence().DBFilename {
					return nil, "can't set protected config"
				}
				return func() {}, ""
			}},
		configParam{name: "dir", get: func(e *Engine) string { return e.dataDir() },
			set: func(e *Engine, v []byte) (func(), string) {
				if string(v) != e.dataDir() {
					return nil, "can't set protected config"
				}
				return func() {}, ""
			}},
		configParam{name: "auto-aof-rewrite-percentage",
			get: func(e *Engine) string { return strconv.FormatInt(e.settings.autoRewritePercentage, 10) },
			set: intSetting(0, 1<<31-1, false, func(e *Engine, n int64) { e.settings.autoRewritePercentage = n })},
		configParam{name: "auto-aof-rewrite-min-size",
			get: func(e *Engine) string { return strconv.FormatInt(e.settings.autoRewriteMinSize, 10) },
			set: intSetting(0, 1<<63-1, true, func(e *Engine, n int64) { e.settings.autoRewriteMinSize = n })},
		configParam{name: "aof-use-rdb-preamble", get: fixed("yes"), set: fixedBool("yes")},
		configParam{name: "aof-load-truncated", get: fixed("yes"), set: fixedBool("yes")},
		configParam{name: "aof-timestamp-enabled", get: fixed("no"), set: fixedBool("no")},
	)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// persistence returns the persistence settings with their defaults.
func (e *Engine) persistence() Persistence {
	if e.disk != nil {
		return e.disk.cfg
	}
	p, _, _ := Persistence{}.withDefaults()
	return p
}

// dataDir is what CONFIG GET dir reports: the data directory, or, for an
// engine that keeps its data in memory, the working directory, as a Redis
// that saves nothing reports it.
func (e *Engine) dataDir() string {
	if e.disk != nil {
		return e.disk.cfg.Dir
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(wd, "/")
}
