package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/pelicanhq/pelican/internal/rdb"
	"github.com/pelicanhq/pelican/internal/vfs"
	"github.com/pelicanhq/pelican/stream"
)

// Snapshots: the whole keyspace at one instant, taken under the engine
// lock and written as an RDB file without it (SAVE, BGSAVE, an
// append-only file's RDB base).
//
// Taking one costs a pass over the keys: strings share their bytes, lists,
// sets and hashes copy their element headers, and streams take a
// copy-on-write stream.Snapshot (their listpacks are shared, their groups
// copied flat). Everything else, the encoding and the I/O, happens in
// writeRDB, outside the lock.

// snapshot is the keyspace at one instant.
type snapshot struct {
	// ctime is when it was taken, Unix ms.
	ctime int64
	// dirty is the engine's change count when it was taken.
	dirty int64
	dbs   [NumDatabases][]snapKey
}

// snapKey is one key of a snapshot: value is set for every type but
// streams, which have stream.
type snapKey struct {
	key      string
	expireAt int64 // Unix ms, 0 for none
	value    rdb.Value
	stream   *stream.Snapshot
}

// rdbVersion is the RDB version of the files Pelican writes: the one
// Redis 7.0 writes and the newest it loads.
const rdbVersion = rdb.DefaultVersion

// snapshotLocked captures every database.
func (e *Engine) snapshotLocked() *snapshot {
	s := &snapshot{ctime: e.nowMs(), dirty: e.dirty}
	for i, db := range e.dbs {
		if len(db.keys) == 0 {
			continue
		}
		keys := make([]snapKey, 0, len(db.keys))
		for k, o := range db.keys {
			sk := snapKey{key: k, expireAt: db.expires[k]}
			if o.kind == kindStream {
				sk.stream = o.stream.Snapshot()
			} else {
				sk.value = valueToRDB(o)
			}
			keys = append(keys, sk)
		}
		s.dbs[i] = keys
	}
	return s
}

// keys returns the number of keys in the snapshot.
func (s *snapshot) keys() int {
	n := 0
	for _, keys := range s.dbs {
		n += len(keys)
	}
	return n
}

// writeRDB writes the snapshot as an RDB file (see rdbVersion), with the
// aof-base aux field set when it is an append-only file's base. Call it
// without the engine lock.
func (s *snapshot) writeRDB(w io.Writer, aofBase bool) error {
	opts := rdb.Options{Version: rdbVersion, CTime: s.ctime / 1000, AOFBase: aofBase}
	if ext := s.ext(); ext != nil {
		opts.Aux = []rdb.AuxField{{Key: extAuxKey, Value: string(ext)}}
	}
	rw := rdb.NewWriter(w, opts)
	for db, keys := range s.dbs {
		if len(keys) == 0 {
			continue
		}
		expires := 0
		for _, k := range keys {
			if k.expireAt != 0 {
				expires++
			}
		}
		if err := rw.SelectDB(db, uint64(len(keys)), uint64(expires)); err != nil {
			return fmt.Errorf("engine: writing RDB: %w", err)
		}
		for _, k := range keys {
			v := k.value
			if k.stream != nil {
				v = streamToRDB(k.stream)
			}
			if err := rw.WriteEntry(rdb.Entry{DB: db, Key: []byte(k.key), ExpireAtMs: k.expireAt, Value: v}); err != nil {
				return fmt.Errorf("engine: writing RDB: %w", err)
			}
		}
	}
	if err := rw.Close(); err != nil {
		return fmt.Errorf("engine: writing RDB: %w", err)
	}
	return nil
}

// ext returns the pelican-ext aux field of the snapshot's streams, nil
// when no stream needs one.
func (s *snapshot) ext() []byte {
	var b []byte
	for db, keys := range s.dbs {
		for _, k := range keys {
			if k.stream == nil || !needsExt(k.stream) {
				continue
			}
			if b == nil {
				b = []byte{extVersion}
			}
			b = appendExt(b, db, k.key, k.stream)
		}
	}
	return b
}

// loadRDB adds the keys of an RDB file to the engine, which must not be
// shared yet (Open calls it). Keys already expired are skipped, as Redis
// skips them loading dump.rdb, unless keepExpired is set: an append-only
// file's base keeps them, as Redis does while it loads the append-only
// files, and its commands decide their fate.
func (e *Engine) loadRDB(r io.Reader, keepExpired bool) error {
	rd := rdb.NewReader(bufio.NewReaderSize(r, 64<<10))
	var ext map[extKey]*streamExt
	extRead := false
	now := e.nowMs()
	for {
		ent, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !extRead {
			extRead = true
			if ext, err = readExt(rd.Aux()); err != nil {
				return err
			}
		}
		if ent.DB >= NumDatabases {
			return fmt.Errorf("engine: key %q is in DB %d; Pelican has %d databases", ent.Key, ent.DB, NumDatabases)
		}
		if !keepExpired && ent.ExpireAtMs != 0 && ent.ExpireAtMs <= now {
			continue
		}
		db := e.dbs[ent.DB]
		if _, dup := db.keys[string(ent.Key)]; dup {
			return fmt.Errorf("engine: key %q is in DB %d twice: %w", ent.Key, ent.DB, rdb.ErrCorrupt)
		}
		o, err := objectFromRDB(ent.Value, ext[extKey{ent.DB, string(ent.Key)}], &e.settings)
		if err != nil {
			return fmt.Errorf("engine: key %q (type %s) in DB %d: %w", ent.Key, rdbTypeName(ent.Value), ent.DB, err)
		}
		e.addLocked(db, ent.Key, o)
		if ent.ExpireAtMs != 0 {
			e.setExpireLocked(db, ent.Key, ent.ExpireAtMs)
		}
	}
}

// readExt finds and decodes the pelican-ext aux field, if any.
func readExt(aux []rdb.AuxField) (map[extKey]*streamExt, error) {
	for _, a := range aux {
		if a.Key == extAuxKey {
			return parseExt(a.Value)
		}
	}
	return nil, nil
}

// rdbTypeName names an rdb value's type as TYPE would.
func rdbTypeName(v rdb.Value) string {
	switch v.(type) {
	case rdb.String:
		return "string"
	case rdb.List:
		return "list"
	case rdb.Set:
		return "set"
	case rdb.Hash:
		return "hash"
	case rdb.ZSet:
		return "zset"
	case *rdb.Stream:
		return "stream"
	}
	return fmt.Sprintf("%T", v)
}

// loadRDBFile loads an RDB file: an append-only file's base (keepExpired)
// or dump.rdb.
func (e *Engine) loadRDBFile(fsys vfs.FS, path string, keepExpired bool) error {
	f, err := fsys.Open(path)
	if err != nil {
		return fmt.Errorf("engine: opening %s: %w", path, err)
	}
	defer f.Close()
	if err := e.loadRDB(f, keepExpired); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("engine: loading %s: the file is truncated: %w", path, err)
		}
		return fmt.Errorf("engine: loading %s: %w", path, err)
	}
	return nil
}

// loadDump loads Dir/DBFilename, if it exists, for an engine without an
// append-only file.
func (e *Engine) loadDump(d *disk) error {
	path := filepath.Join(d.cfg.Dir, d.cfg.DBFilename)
	if _, err := d.fs.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	start := time.Now()
	e.loading = true
	defer func() { e.loading = false }()
	if err := e.loadRDBFile(d.fs, path, false); err != nil {
		return err
	}
	d.loaded.duration = time.Since(start)
	for _, db := range e.dbs {
		d.loaded.keys += int64(len(db.keys))
	}
	e.logger().Info("pelican: data loaded from the RDB file", "file", path,
		"keys", d.loaded.keys, "seconds", fmt.Sprintf("%.3f", d.loaded.duration.Seconds()))
	return nil
}
