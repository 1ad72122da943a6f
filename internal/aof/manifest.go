package aof

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/vfs"
)

// Default names, as Redis's appenddirname and appendfilename default them.
const (
	DefaultDirName  = "appendonlydir"
	DefaultFileName = "appendonly.aof"
)

// maxManifestLine is the longest manifest line Redis reads, newline
// included; a longer line is an error.
const maxManifestLine = 1024

// FileType is the kind of a file the manifest lists: its "type" value.
type FileType byte

// The file types of a manifest.
const (
	TypeBase    FileType = 'b' // the snapshot the log starts from
	TypeIncr    FileType = 'i' // commands appended after the base
	TypeHistory FileType = 'h' // a file a rewrite replaced, to be deleted
)

// BaseKind is the format of a base file, which its name's suffix tells.
type BaseKind int

// The base file formats.
const (
	BaseRDB BaseKind = iota // <name>.<seq>.base.rdb, an RDB snapshot
	BaseAOF                 // <name>.<seq>.base.aof, commands
)

// FileInfo is one line of a manifest.
type FileInfo struct {
	Name string
	Seq  int64
	Type FileType
}

// Manifest lists the files of a multi-part AOF directory, as Redis 7
// keeps it in <appendfilename>.manifest.
//
// Invariants (ParseManifest enforces them, Marshal assumes them): Base, if
// set, has type b; Incr entries have type i and strictly increasing Seq;
// History entries have type h. Marshal writes Base, then History, then
// Incr, as Redis does.
type Manifest struct {
	// Base is the base file, or nil if there is none.
	Base *FileInfo
	// History lists files replaced by a rewrite and not yet deleted.
	History []FileInfo
	// Incr lists the incremental files in the order they are replayed.
	Incr []FileInfo

	// baseSeq and incrSeq are the sequence numbers last given to a base
	// and to an incremental file, which new names continue from.
	baseSeq, incrSeq int64
}

// ParseManifest parses a manifest with the rules of Redis 7.0: lines of
// at most 1024 bytes, each ending in a newline; lines starting with '#'
// are comments; other lines are key-value pairs (at least three, words
// quoted as in Redis's configuration) where the keys "file", "seq" and
// "type" (in any case and order) are required and others are ignored; the
// file must be a plain name, not a path; at most one base; incremental
// sequence numbers increase.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) == 0 {
		return nil, errors.New("aof: manifest is empty")
	}
	m := &Manifest{}
	for lineNum := 1; len(data) > 0; lineNum++ {
		// Redis reads with fgets into a 1025-byte buffer: a line is cut
		// after 1024 bytes, and the rest read as the next line.
		n := bytes.IndexByte(data, '\n') + 1
		if n == 0 || n > maxManifestLine {
			n = min(len(data), maxManifestLine)
		}
		raw := data[:n]
		data = data[n:]
		if raw[0] == '#' {
			continue
		}
		if err := m.parseLine(raw); err != nil {
			return nil, fmt.Errorf("aof: manifest line %d %q: %w", lineNum, raw, err)
		}
	}
	return m, nil
}

var errManifestFormat = errors.New("invalid manifest format")

// parseLine adds the file a manifest line describes.
func (m *Manifest) parseLine(raw []byte) error {
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		raw = raw[:i] // Redis sees C strings
	}
	if bytes.IndexByte(raw, '\n') < 0 {
		return errors.New("line too long, or missing its newline")
	}
	line := strings.Trim(string(raw), " \t\r\n")
	if line == "" {
		return errManifestFormat
	}
	words, err := splitWords(line)
	if err != nil {
		return fmt.Errorf("%w: %w", errManifestFormat, err)
	}
	if len(words) < 6 || len(words)%2 != 0 {
		return fmt.Errorf("%w: want key-value pairs for file, seq and type", errManifestFormat)
	}
	var fi FileInfo
	for i := 0; i < len(words); i += 2 {
		key, val := cString(words[i]), words[i+1]
		switch {
		case strings.EqualFold(key, "file"):
			fi.Name = cString(val)
			if strings.ContainsAny(fi.Name, `/\`) {
				return errors.New("file must be a name, not a path")
			}
		case strings.EqualFold(key, "seq"):
			fi.Seq = atoll(val)
		case strings.EqualFold(key, "type"):
			fi.Type = FileType(0)
			if val != "" {
				fi.Type = FileType(val[0])
			}
		}
	}
	if fi.Name == "" || fi.Seq == 0 || fi.Type == 0 {
		return fmt.Errorf("%w: file, seq (not 0) and type are required", errManifestFormat)
	}
	return m.add(fi)
}

// add appends fi to the list its type names.
func (m *Manifest) add(fi FileInfo) error {
	switch fi.Type {
	case TypeBase:
		if m.Base != nil {
			return errors.New("more than one base file")
		}
		m.Base = &fi
		m.baseSeq = fi.Seq
	case TypeHistory:
		m.History = append(m.History, fi)
	case TypeIncr:
		if n := len(m.Incr); (n > 0 && fi.Seq <= m.Incr[n-1].Seq) || fi.Seq <= 0 {
			return fmt.Errorf("incremental file sequence %d does not increase", fi.Seq)
		}
		m.Incr = append(m.Incr, fi)
		m.incrSeq = fi.Seq
	default:
		return fmt.Errorf("unknown file type %q", byte(fi.Type))
	}
	return nil
}

// cString cuts s at its first NUL, as C string handling would.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// atoll parses a leading decimal integer as C's atoll does: leading
// blanks, an optional sign, digits; anything else ends it, and no digits
// give 0. Out-of-range values saturate.
func atoll(s string) int64 {
	s = cString(s)
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0
	}
	v, err := strconv.ParseInt(s[i:j], 10, 64)
	if err != nil { // out of range: saturate like strtoll
		if neg {
			return -1 << 63
		}
		return 1<<63 - 1
	}
	if neg {
		v = -v
	}
	return v
}

// Marshal returns the manifest as Redis 7.0 writes it: the base, the
// history files, then the incremental files, one "file <name> seq <n>
// type <t>\n" line each, names quoted when they need it.
func (m *Manifest) Marshal() []byte {
	var b []byte
	line := func(fi FileInfo) {
		name := fi.Name
		if needsQuote(name) {
			name = quote(name)
		}
		b = fmt.Appendf(b, "file %s seq %d type %c\n", name, fi.Seq, byte(fi.Type))
	}
	if m.Base != nil {
		line(*m.Base)
	}
	for _, fi := range m.History {
		line(fi)
	}
	for _, fi := range m.Incr {
		line(fi)
	}
	return b
}

// Clone returns a deep copy of m, to change and write while m stays in use.
func (m *Manifest) Clone() *Manifest {
	c := *m
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	c.History = append([]FileInfo(nil), m.History...)
	c.Incr = append([]FileInfo(nil), m.Incr...)
	return &c
}

// NextIncr adds a new incremental file after the last one and returns it.
// Its name is <fileName>.<seq>.incr.aof, seq one more than the last
// incremental sequence number, as Redis names it.
func (m *Manifest) NextIncr(fileName string) FileInfo {
	seq := m.incrSeq
	if n := len(m.Incr); n > 0 {
		seq = max(seq, m.Incr[n-1].Seq)
	}
	seq++
	m.incrSeq = seq
	fi := FileInfo{Name: fmt.Sprintf("%s.%d.incr.aof", fileName, seq), Seq: seq, Type: TypeIncr}
	m.Incr = append(m.Incr, fi)
	return fi
}

// NewBase makes a new base file of the given kind the manifest's base and
// returns it; the previous base, if any, becomes the first history file.
// As after a Redis rewrite, the caller then calls RetireIncr to move the
// incremental files the new base covers to the history.
func (m *Manifest) NewBase(fileName string, kind BaseKind) FileInfo {
	if m.Base != nil {
		old := *m.Base
		old.Type = TypeHistory
		m.History = append([]FileInfo{old}, m.History...)
		m.baseSeq = max(m.baseSeq, old.Seq)
	}
	m.baseSeq++
	suffix := ".rdb"
	if kind == BaseAOF {
		suffix = ".aof"
	}
	fi := FileInfo{Name: fmt.Sprintf("%s.%d.base%s", fileName, m.baseSeq, suffix), Seq: m.baseSeq, Type: TypeBase}
	m.Base = &fi
	return fi
}

// RetireIncr moves every incremental file but the last keep ones to the
// history, as Redis does once a rewrite has made a new base.
func (m *Manifest) RetireIncr(keep int) {
	n := max(len(m.Incr)-keep, 0)
	for i := n - 1; i >= 0; i-- { // each goes to the front, so the last ends first
		fi := m.Incr[i]
		fi.Type = TypeHistory
		m.History = append([]FileInfo{fi}, m.History...)
	}
	m.Incr = append([]FileInfo(nil), m.Incr[n:]...)
}

// ManifestName returns the manifest's file name for fileName (Redis's
// appendfilename): fileName + ".manifest".
func ManifestName(fileName string) string { return fileName + ".manifest" }

// WriteManifest replaces the manifest named name in dir atomically: it
// writes a temporary file, syncs it, renames it over name and syncs dir,
// so that after a crash dir holds either the old manifest or the new one.
func WriteManifest(fs vfs.FS, dir, name string, m *Manifest) error {
	tmp := filepath.Join(dir, "temp-"+name)
	f, err := fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("aof: writing manifest: %w", err)
	}
	_, err = f.Write(m.Marshal())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fs.Rename(tmp, filepath.Join(dir, name))
	}
	if err == nil {
		err = fs.SyncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("aof: writing manifest %s in %s: %w", name, dir, err)
	}
	return nil
}

// ReadManifest reads and parses the manifest named name in dir.
func ReadManifest(fs vfs.FS, dir, name string) (*Manifest, error) {
	f, err := fs.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("aof: reading manifest: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("aof: reading manifest %s: %w", name, err)
	}
	return ParseManifest(buf.Bytes())
}
