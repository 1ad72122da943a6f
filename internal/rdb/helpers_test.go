package rdb

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pelicanhq/pelican/internal/listpack"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// normalize sorts what carries no order (set members, hash fields, sorted
// set members) so values compare with cmp.Diff.
func normalize(v Value) Value {
	switch v := v.(type) {
	case Set:
		s := slices.Clone(v)
		slices.SortFunc(s, bytes.Compare)
		return s
	case Hash:
		h := slices.Clone(v)
		slices.SortFunc(h, func(a, b Field) int { return bytes.Compare(a.Name, b.Name) })
		return h
	case ZSet:
		z := slices.Clone(v)
		slices.SortFunc(z, func(a, b ZMember) int { return bytes.Compare(a.Member, b.Member) })
		return z
	}
	return v
}

// valueDiff compares two values up to order where order carries no
// meaning, empty and nil slices alike.
func valueDiff(got, want Value) string {
	return cmp.Diff(normalize(got), normalize(want), cmpopts.EquateEmpty())
}

// streamInfo is what XINFO STREAM FULL shows of a stream, minus the radix
// tree's shape, in a form both a Stream and a reply convert to.
type streamInfo struct {
	Length                        int64
	LastID, MaxDeletedID, FirstID string
	EntriesAdded                  int64
	Entries                       []string // "id f1 v1 f2 v2"
	Groups                        []groupInfo
}

type groupInfo struct {
	Name, LastID, EntriesRead string   // EntriesRead "nil" when unknown
	PEL                       []string // "id consumer time count"
	Consumers                 []string // "name seen-time id id ..."
}

func idString(id ID) string { return fmt.Sprintf("%d-%d", id.Ms, id.Seq) }

// infoOf describes s as XINFO STREAM FULL (COUNT 0) would.
func infoOf(t testing.TB, s *Stream) streamInfo {
	t.Helper()
	in := streamInfo{
		Length: int64(s.Length), LastID: idString(s.LastID), MaxDeletedID: idString(s.MaxDeletedID),
		FirstID: idString(s.FirstID), EntriesAdded: int64(s.EntriesAdded),
		Entries: streamEntries(t, s.Nodes),
	}
	for _, g := range s.Groups {
		gi := groupInfo{Name: string(g.Name), LastID: idString(g.LastID), EntriesRead: "nil"}
		if g.EntriesRead >= 0 {
			gi.EntriesRead = strconv.FormatInt(g.EntriesRead, 10)
		}
		owner := map[ID]string{}
		for _, c := range g.Consumers {
			line := fmt.Sprintf("%s %d", c.Name, c.SeenTime)
			for _, id := range c.PEL {
				owner[id] = string(c.Name)
				line += " " + idString(id)
			}
			gi.Consumers = append(gi.Consumers, line)
		}
		for _, p := range g.PEL {
			gi.PEL = append(gi.PEL, fmt.Sprintf("%s %s %d %d", idString(p.ID), owner[p.ID], p.DeliveryTime, p.DeliveryCount))
		}
		in.Groups = append(in.Groups, gi)
	}
	return in
}

// streamEntries decodes the live entries of stream listpacks: a master
// entry (count, deleted, field count, fields, 0), then per entry flags,
// ID deltas, values alone or a field count and pairs, and a trailing
// element count.
func streamEntries(t testing.TB, nodes []StreamNode) []string {
	t.Helper()
	var out []string
	for _, n := range nodes {
		lp := n.Listpack
		var els []string
		for p := listpack.First(lp); p >= 0; p = listpack.Next(lp, p) {
			els = append(els, string(listpack.AppendValue(nil, lp, p)))
		}
		atoi := func(i int) int {
			v, err := strconv.Atoi(els[i])
			if err != nil {
				t.Fatalf("stream listpack element %d = %q, want an integer", i, els[i])
			}
			return v
		}
		nf := atoi(2)
		master := els[3 : 3+nf]
		for i := 4 + nf; i < len(els); {
			flags, ms, seq := atoi(i), atoi(i+1), atoi(i+2)
			i += 3
			var fv []string
			if flags&flagSameFields != 0 {
				for k, f := range master {
					fv = append(fv, f, els[i+k])
				}
				i += nf
			} else {
				c := atoi(i)
				fv = els[i+1 : i+1+2*c]
				i += 1 + 2*c
			}
			i++ // lp-count
			if flags&flagDeleted == 0 {
				id := ID{n.Master.Ms + uint64(ms), n.Master.Seq + uint64(seq)}
				out = append(out, idString(id)+" "+fmt.Sprint(fv))
			}
		}
	}
	return out
}

// xinfoFull reads XINFO STREAM FULL of key from a server.
func xinfoFull(t testing.TB, c *redistest.Conn, key string) streamInfo {
	t.Helper()
	r := mustDo(t, c, "XINFO", "STREAM", key, "FULL", "COUNT", "0")
	f := func(r redistest.Reply, k string) redistest.Reply {
		t.Helper()
		v, ok := r.Field(k)
		if !ok {
			t.Fatalf("XINFO STREAM FULL has no %q in %s", k, r)
		}
		return v
	}
	in := streamInfo{
		Length: f(r, "length").Int, LastID: f(r, "last-generated-id").Str,
		MaxDeletedID: f(r, "max-deleted-entry-id").Str, FirstID: f(r, "recorded-first-entry-id").Str,
		EntriesAdded: f(r, "entries-added").Int,
	}
	for _, e := range f(r, "entries").Elems {
		var fv []string
		for _, x := range e.Elems[1].Elems {
			fv = append(fv, x.Str)
		}
		in.Entries = append(in.Entries, e.Elems[0].Str+" "+fmt.Sprint(fv))
	}
	for _, g := range f(r, "groups").Elems {
		gi := groupInfo{Name: f(g, "name").Str, LastID: f(g, "last-delivered-id").Str, EntriesRead: "nil"}
		if er := f(g, "entries-read"); !er.Nil {
			gi.EntriesRead = strconv.FormatInt(er.Int, 10)
		}
		for _, p := range f(g, "pending").Elems {
			gi.PEL = append(gi.PEL, fmt.Sprintf("%s %s %d %d", p.Elems[0].Str, p.Elems[1].Str, p.Elems[2].Int, p.Elems[3].Int))
		}
		for _, c := range f(g, "consumers").Elems {
			line := fmt.Sprintf("%s %d", f(c, "name").Str, f(c, "seen-time").Int)
			for _, p := range f(c, "pending").Elems {
				line += " " + p.Elems[0].Str
			}
			gi.Consumers = append(gi.Consumers, line)
		}
		in.Groups = append(in.Groups, gi)
	}
	return in
}

// mustDo runs a command and fails the test on an error reply.
func mustDo(t testing.TB, c *redistest.Conn, args ...string) redistest.Reply {
	t.Helper()
	r := c.MustDo(t, args...)
	if r.IsError() {
		t.Fatalf("%q: %s", args, r)
	}
	return r
}

// readBack reads a key's value from a server with the command for its
// type.
func readBack(t testing.TB, c *redistest.Conn, key string) Value {
	t.Helper()
	typ := mustDo(t, c, "TYPE", key).Str
	strs := func(r redistest.Reply) [][]byte {
		out := [][]byte{}
		for _, e := range r.Elems {
			out = append(out, []byte(e.Str))
		}
		return out
	}
	switch typ {
	case "string":
		return String(mustDo(t, c, "GET", key).Str)
	case "list":
		return List(strs(mustDo(t, c, "LRANGE", key, "0", "-1")))
	case "set":
		return Set(strs(mustDo(t, c, "SMEMBERS", key)))
	case "hash":
		kv := strs(mustDo(t, c, "HGETALL", key))
		var h Hash
		for i := 0; i+1 < len(kv); i += 2 {
			h = append(h, Field{Name: kv[i], Value: kv[i+1]})
		}
		return h
	case "zset":
		kv := strs(mustDo(t, c, "ZRANGE", key, "0", "-1", "WITHSCORES"))
		var z ZSet
		for i := 0; i+1 < len(kv); i += 2 {
			f, err := strconv.ParseFloat(string(kv[i+1]), 64)
			if err != nil {
				t.Fatalf("score %q: %v", kv[i+1], err)
			}
			z = append(z, ZMember{Member: kv[i], Score: f})
		}
		return z
	}
	t.Fatalf("TYPE %s = %q", key, typ)
	return nil
}
