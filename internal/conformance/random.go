package conformance

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// RandomGen generates random sequences of stream commands over a few keys
// (and of sorted set commands, see random_zset.go)
// for differential runs: mostly valid commands with explicit IDs (never
// "*", whose clock-made IDs would make a run unrepeatable), and some that
// fail. It keeps a small model of each key (its last ID, the IDs
// added, its groups and their consumers), updated from the reference
// server's replies, so that generated IDs are mostly valid and so that
// no command creates a consumer implicitly: Redis 7.0 and 7.2+ disagree
// about when XREADGROUP, XCLAIM and XAUTOCLAIM do that.
type RandomGen struct {
	rnd    *rand.Rand
	prefix string
	keys   []*keyModel
}

// keyModel is what the generator knows of one key.
type keyModel struct {
	name    string
	exists  bool
	lastMs  uint64
	lastSeq uint64
	ids     []string // explicit IDs added, deleted ones included
	groups  map[string]map[string]bool
}

// NewRandomGen returns a generator for stream keys named prefix+"s0" and
// so on, and sorted set keys prefix+"z0", prefix+"z1" and prefix+"zlex".
func NewRandomGen(seed uint64, prefix string, numKeys int) *RandomGen {
	g := &RandomGen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), prefix: prefix}
	for i := 0; i < numKeys; i++ {
		g.keys = append(g.keys, &keyModel{name: prefix + "s" + strconv.Itoa(i), groups: map[string]map[string]bool{}})
	}
	return g
}

var groupNames = []string{"g0", "g1", "g2"}
var consumerNames = []string{"c0", "c1", "c2"}

// weighted is a command kind and its relative frequency.
type weighted struct {
	weight int
	gen    func(g *RandomGen, k *keyModel) []string
}

// commandMix is every command kind the generator makes.
var commandMix = append(streamMix, zsetMix...)

var streamMix = []weighted{
	{30, (*RandomGen).xadd},
	{8, (*RandomGen).xdel},
	{5, (*RandomGen).xtrim},
	{8, (*RandomGen).xrange},
	{3, func(g *RandomGen, k *keyModel) []string { return []string{"XLEN", k.name} }},
	{4, (*RandomGen).xread},
	{4, (*RandomGen).xgroupCreate},
	{3, (*RandomGen).xgroupSetID},
	{1, (*RandomGen).xgroupDestroy},
	{5, (*RandomGen).xgroupCreateConsumer},
	{1, (*RandomGen).xgroupDelConsumer},
	{12, (*RandomGen).xreadgroup},
	{5, (*RandomGen).xack},
	{5, (*RandomGen).xclaim},
	{4, (*RandomGen).xautoclaim},
	{5, (*RandomGen).xpending},
	{4, (*RandomGen).xinfo},
}

var totalWeight = func() int {
	n := 0
	for _, w := range commandMix {
		n += w.weight
	}
	return n
}()

// Next returns the next command.
func (g *RandomGen) Next() []string {
	k := g.keys[g.rnd.IntN(len(g.keys))]
	n := g.rnd.IntN(totalWeight)
	for _, w := range commandMix {
		if n < w.weight {
			return w.gen(g, k)
		}
		n -= w.weight
	}
	panic("unreachable")
}

// Observe updates the model from the reference server's reply to args.
func (g *RandomGen) Observe(args []string, r redistest.Reply) {
	k := g.key(args)
	if k == nil || r.IsError() {
		return
	}
	name := strings.ToUpper(args[0])
	sub := ""
	if len(args) > 1 {
		sub = strings.ToUpper(args[1])
	}
	switch {
	case name == "XADD" && r.Kind == redistest.KindBulk && !r.Nil:
		k.exists = true
		id, ok := streamid.Parse(r.Str)
		if !ok {
			return
		}
		k.lastMs, k.lastSeq = id.Ms, id.Seq
		k.ids = append(k.ids, r.Str)
	case name == "XGROUP" && sub == "CREATE":
		k.exists = true
		k.groups[args[3]] = map[string]bool{}
	case name == "XGROUP" && sub == "DESTROY" && r.Int == 1:
		delete(k.groups, args[3])
	case name == "XGROUP" && sub == "CREATECONSUMER" && r.Int == 1:
		k.groups[args[3]][args[4]] = true
	case name == "XGROUP" && sub == "DELCONSUMER":
		delete(k.groups[args[3]], args[4])
	}
}

// key returns the model of the key a command names.
func (g *RandomGen) key(args []string) *keyModel {
	i := 1
	if u := strings.ToUpper(args[0]); u == "XGROUP" || u == "XINFO" {
		i = 2
	}
	if i >= len(args) {
		return nil
	}
	for _, k := range g.keys {
		if k.name == args[i] {
			return k
		}
	}
	return nil
}

func (g *RandomGen) pct(p int) bool { return g.rnd.IntN(100) < p }

func (g *RandomGen) pick(s []string) string { return s[g.rnd.IntN(len(s))] }

// someID returns an ID of the key: usually one that was added, else one
// nearby or outside the stream.
func (g *RandomGen) someID(k *keyModel) string {
	switch {
	case len(k.ids) > 0 && g.pct(80):
		return g.pick(k.ids)
	case g.pct(50):
		return strconv.FormatUint(k.lastMs+uint64(g.rnd.IntN(3)), 10) + "-" + strconv.Itoa(g.rnd.IntN(3))
	default:
		return strconv.Itoa(g.rnd.IntN(5)) + "-" + strconv.Itoa(g.rnd.IntN(3))
	}
}

// bound returns a range bound: "-" or "+", an ID, an incomplete ID, or
// an exclusive one.
func (g *RandomGen) bound(k *keyModel, low bool) string {
	switch n := g.rnd.IntN(10); {
	case n < 3 && low:
		return "-"
	case n < 3:
		return "+"
	case n < 5:
		id := g.someID(k)
		ms, _, _ := strings.Cut(id, "-")
		return ms
	case n < 7:
		return "(" + g.someID(k)
	default:
		return g.someID(k)
	}
}

func (g *RandomGen) fields() []string {
	n := 1 + g.rnd.IntN(3)
	var fv []string
	for i := 0; i < n; i++ {
		f := "f" + strconv.Itoa(i)
		if g.pct(20) {
			f = "x" + strconv.Itoa(g.rnd.IntN(5))
		}
		fv = append(fv, f, g.value())
	}
	return fv
}

func (g *RandomGen) value() string {
	switch n := g.rnd.IntN(10); {
	case n < 4:
		return strconv.FormatInt(g.rnd.Int64N(2_000_000_000_000)-1_000_000_000_000>>uint(g.rnd.IntN(40)), 10)
	case n < 8:
		return strings.Repeat(string(rune('a'+g.rnd.IntN(26))), 1+g.rnd.IntN(12))
	default:
		return strings.Repeat("v", 50+g.rnd.IntN(400))
	}
}

// trimArgs returns MAXLEN or MINID options, with = or ~ and LIMIT.
func (g *RandomGen) trimArgs(k *keyModel) []string {
	var a []string
	approx := false
	if g.pct(50) {
		a = append(a, "MAXLEN")
	} else {
		a = append(a, "MINID")
	}
	switch g.rnd.IntN(3) {
	case 0:
		a = append(a, "=")
	case 1:
		a = append(a, "~")
		approx = true
	}
	if a[0] == "MAXLEN" {
		a = append(a, strconv.Itoa(g.rnd.IntN(len(k.ids)+20)))
	} else {
		a = append(a, g.someID(k))
	}
	if approx && g.pct(30) {
		a = append(a, "LIMIT", strconv.Itoa(g.rnd.IntN(250)))
	}
	return a
}

func (g *RandomGen) xadd(k *keyModel) []string {
	a := []string{"XADD", k.name}
	if g.pct(10) {
		a = append(a, "NOMKSTREAM")
	}
	if g.pct(25) {
		a = append(a, g.trimArgs(k)...)
	}
	ms := k.lastMs
	switch n := g.rnd.IntN(100); {
	case n < 75:
		next := ms + uint64(g.rnd.IntN(3))
		seq := uint64(g.rnd.IntN(4))
		if next == k.lastMs && k.exists {
			seq += k.lastSeq + 1
		}
		a = append(a, strconv.FormatUint(next, 10)+"-"+strconv.FormatUint(seq, 10))
	case n < 90:
		a = append(a, strconv.FormatUint(ms+uint64(g.rnd.IntN(2)), 10)+"-*")
	case n < 97 && len(k.ids) > 0:
		a = append(a, g.pick(k.ids)) // equal or smaller: an error
	default:
		a = append(a, "0-0")
	}
	return append(a, g.fields()...)
}

func (g *RandomGen) xdel(k *keyModel) []string {
	a := []string{"XDEL", k.name}
	for i := 0; i < 1+g.rnd.IntN(3); i++ {
		a = append(a, g.someID(k))
	}
	return a
}

func (g *RandomGen) xtrim(k *keyModel) []string {
	return append([]string{"XTRIM", k.name}, g.trimArgs(k)...)
}

func (g *RandomGen) xrange(k *keyModel) []string {
	a := []string{"XRANGE", k.name, g.bound(k, true), g.bound(k, false)}
	if g.pct(40) {
		a = []string{"XREVRANGE", k.name, g.bound(k, false), g.bound(k, true)}
	}
	if g.pct(40) {
		a = append(a, "COUNT", strconv.Itoa(g.rnd.IntN(6)-1))
	}
	return a
}

func (g *RandomGen) xread(k *keyModel) []string {
	a := []string{"XREAD"}
	if g.pct(50) {
		a = append(a, "COUNT", strconv.Itoa(g.rnd.IntN(5)))
	}
	a = append(a, "STREAMS", k.name)
	ids := []string{g.readID(k)}
	if g.pct(30) {
		other := g.keys[g.rnd.IntN(len(g.keys))]
		a = append(a, other.name)
		ids = append(ids, g.readID(other))
	}
	return append(a, ids...)
}

func (g *RandomGen) readID(k *keyModel) string {
	switch g.rnd.IntN(4) {
	case 0:
		return "0"
	case 1:
		return "$"
	}
	return g.someID(k)
}

// group returns a group name, usually one that exists.
func (g *RandomGen) group(k *keyModel) string {
	if len(k.groups) > 0 && g.pct(85) {
		names := make([]string, 0, len(k.groups))
		for _, n := range groupNames {
			if k.groups[n] != nil {
				names = append(names, n)
			}
		}
		return g.pick(names)
	}
	return g.pick(groupNames)
}

// consumer returns an existing consumer of group gr, or "" if it has none.
func (g *RandomGen) consumer(k *keyModel, gr string) string {
	var names []string
	for _, n := range consumerNames {
		if k.groups[gr][n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return g.pick(names)
}

func (g *RandomGen) xgroupCreate(k *keyModel) []string {
	a := []string{"XGROUP", "CREATE", k.name, g.pick(groupNames)}
	switch g.rnd.IntN(3) {
	case 0:
		a = append(a, "0")
	case 1:
		a = append(a, "$")
	default:
		a = append(a, g.someID(k))
	}
	if g.pct(40) {
		a = append(a, "MKSTREAM")
	}
	if g.pct(15) {
		a = append(a, "ENTRIESREAD", strconv.Itoa(g.rnd.IntN(len(k.ids)+2)))
	}
	return a
}

func (g *RandomGen) xgroupSetID(k *keyModel) []string {
	a := []string{"XGROUP", "SETID", k.name, g.group(k)}
	if g.pct(30) {
		a = append(a, "$")
	} else {
		a = append(a, g.someID(k))
	}
	if g.pct(20) {
		a = append(a, "ENTRIESREAD", strconv.Itoa(g.rnd.IntN(len(k.ids)+2)))
	}
	return a
}

func (g *RandomGen) xgroupDestroy(k *keyModel) []string {
	return []string{"XGROUP", "DESTROY", k.name, g.group(k)}
}

func (g *RandomGen) xgroupCreateConsumer(k *keyModel) []string {
	return []string{"XGROUP", "CREATECONSUMER", k.name, g.group(k), g.pick(consumerNames)}
}

func (g *RandomGen) xgroupDelConsumer(k *keyModel) []string {
	return []string{"XGROUP", "DELCONSUMER", k.name, g.group(k), g.pick(consumerNames)}
}

// groupAndConsumer returns an existing group with an existing consumer,
// or false.
func (g *RandomGen) groupAndConsumer(k *keyModel) (string, string, bool) {
	gr := g.group(k)
	c := g.consumer(k, gr)
	return gr, c, c != ""
}

func (g *RandomGen) xreadgroup(k *keyModel) []string {
	gr, c, ok := g.groupAndConsumer(k)
	if !ok {
		return g.xgroupCreateConsumer(k)
	}
	a := []string{"XREADGROUP", "GROUP", gr, c}
	if g.pct(50) {
		a = append(a, "COUNT", strconv.Itoa(g.rnd.IntN(6)))
	}
	if g.pct(10) {
		a = append(a, "NOACK")
	}
	a = append(a, "STREAMS", k.name)
	ids := []string{g.groupReadID(k)}
	if other := g.keys[g.rnd.IntN(len(g.keys))]; other != k && other.groups[gr][c] && g.pct(30) {
		a = append(a, other.name)
		ids = append(ids, g.groupReadID(other))
	}
	return append(a, ids...)
}

func (g *RandomGen) groupReadID(k *keyModel) string {
	switch n := g.rnd.IntN(10); {
	case n < 7:
		return ">"
	case n < 9:
		return "0"
	}
	return g.someID(k)
}

func (g *RandomGen) xack(k *keyModel) []string {
	a := []string{"XACK", k.name, g.group(k)}
	for i := 0; i < 1+g.rnd.IntN(3); i++ {
		a = append(a, g.someID(k))
	}
	return a
}

func (g *RandomGen) xclaim(k *keyModel) []string {
	gr, c, ok := g.groupAndConsumer(k)
	if !ok {
		return g.xgroupCreateConsumer(k)
	}
	a := []string{"XCLAIM", k.name, gr, c, "0"}
	for i := 0; i < 1+g.rnd.IntN(3); i++ {
		a = append(a, g.someID(k))
	}
	if g.pct(25) {
		a = append(a, "JUSTID")
	}
	if g.pct(15) {
		a = append(a, "FORCE")
	}
	if g.pct(15) {
		a = append(a, "RETRYCOUNT", strconv.Itoa(g.rnd.IntN(5)))
	}
	if g.pct(10) {
		a = append(a, "LASTID", g.someID(k))
	}
	if g.pct(10) {
		a = append(a, "IDLE", strconv.Itoa(g.rnd.IntN(100000)))
	}
	return a
}

func (g *RandomGen) xautoclaim(k *keyModel) []string {
	gr, c, ok := g.groupAndConsumer(k)
	if !ok {
		return g.xgroupCreateConsumer(k)
	}
	start := "0"
	if g.pct(50) {
		start = g.someID(k)
	}
	a := []string{"XAUTOCLAIM", k.name, gr, c, "0", start}
	if g.pct(60) {
		a = append(a, "COUNT", strconv.Itoa(1+g.rnd.IntN(5)))
	}
	if g.pct(25) {
		a = append(a, "JUSTID")
	}
	return a
}

func (g *RandomGen) xpending(k *keyModel) []string {
	gr := g.group(k)
	if g.pct(30) {
		return []string{"XPENDING", k.name, gr}
	}
	a := []string{"XPENDING", k.name, gr}
	if g.pct(15) {
		a = append(a, "IDLE", "0")
	}
	a = append(a, g.bound(k, true), g.bound(k, false), strconv.Itoa(g.rnd.IntN(8)))
	if g.pct(30) {
		a = append(a, g.pick(consumerNames))
	}
	return a
}

func (g *RandomGen) xinfo(k *keyModel) []string {
	switch g.rnd.IntN(5) {
	case 0:
		return []string{"XINFO", "STREAM", k.name}
	case 1:
		a := []string{"XINFO", "STREAM", k.name, "FULL"}
		if g.pct(50) {
			a = append(a, "COUNT", strconv.Itoa(g.rnd.IntN(4)))
		}
		return a
	case 2, 3:
		return []string{"XINFO", "GROUPS", k.name}
	}
	return []string{"XINFO", "CONSUMERS", k.name, g.group(k)}
}

// MaskKnownDifferences hides, in a reply to args, what the known
// differences change when the reference server (at version ref) predates
// them, so that random runs can compare replies that scripts compare
// with !differs: sorted set scores, compared as numbers
// (double-reply-format, see canonicalScores), the inactive and
// active-time fields of consumers (xinfo-consumers-inactive,
// xinfo-full-active-time), and lag and entries-read (lag-tombstones,
// lag-trimmed), which become <masked>.
func MaskKnownDifferences(ref string, args []string, r redistest.Reply) redistest.Reply {
	if len(args) >= 2 && !redistest.VersionAtLeast(ref, "7.2") {
		r = canonicalScores(args, r)
	}
	if len(args) < 2 || strings.ToUpper(args[0]) != "XINFO" {
		return r
	}
	r = DropAddedFields(ref, args, r)
	sub := strings.ToUpper(args[1])
	before72 := !redistest.VersionAtLeast(ref, "7.2")
	before80 := !redistest.VersionAtLeast(ref, "8.0")
	maskGroup := func(gr *redistest.Reply) {
		if !before80 {
			return
		}
		for _, f := range []string{"lag", "entries-read"} {
			if v := fieldPtr(gr, f); v != nil {
				// Whatever its type: a number, or a null when unknown.
				*v = redistest.Reply{Kind: redistest.KindSimple, Placeholder: "masked"}
			}
		}
	}
	switch {
	case sub == "CONSUMERS" && before72:
		for i := range r.Elems {
			dropField(&r.Elems[i], "inactive")
		}
	case sub == "GROUPS":
		for i := range r.Elems {
			maskGroup(&r.Elems[i])
		}
	case sub == "STREAM" && hasWord(args[2:], "FULL"):
		groups := fieldPtr(&r, "groups")
		if groups == nil {
			return r
		}
		for i := range groups.Elems {
			gr := &groups.Elems[i]
			maskGroup(gr)
			if cs := fieldPtr(gr, "consumers"); cs != nil && before72 {
				for j := range cs.Elems {
					dropField(&cs.Elems[j], "active-time")
				}
			}
		}
	}
	return r
}

// idmpFields are the XINFO STREAM fields Redis 8.6 added
// (xinfo-stream-idmp-fields).
var idmpFields = []string{"idmp-duration", "idmp-maxsize", "pids-tracked", "iids-tracked", "iids-added", "iids-duplicates"}

// DropAddedFields removes from an XINFO STREAM reply the fields Redis
// added after the reference server's version: the IDMP fields of 8.6
// (xinfo-stream-idmp-fields) and the groups' nacked-count of 8.8
// (xinfo-full-nacked-count). Every comparison applies it except the script
// steps that declare those differences, which show the fields.
func DropAddedFields(ref string, args []string, r redistest.Reply) redistest.Reply {
	return dropAddedFieldsExcept(ref, args, r, "")
}

// dropAddedFieldsExcept is DropAddedFields keeping the fields of the known
// difference keep, which a script step declares.
func dropAddedFieldsExcept(ref string, args []string, r redistest.Reply, keep string) redistest.Reply {
	if len(args) < 3 || strings.ToUpper(args[0]) != "XINFO" || strings.ToUpper(args[1]) != "STREAM" {
		return r
	}
	r = clone(r)
	if !redistest.VersionAtLeast(ref, "8.6") && keep != "xinfo-stream-idmp-fields" {
		for _, f := range idmpFields {
			dropField(&r, f)
		}
	}
	if !redistest.VersionAtLeast(ref, "8.8") && keep != "xinfo-full-nacked-count" && hasWord(args[2:], "FULL") {
		if groups := fieldPtr(&r, "groups"); groups != nil {
			for i := range groups.Elems {
				dropField(&groups.Elems[i], "nacked-count")
			}
		}
	}
	return r
}

// dropField removes a key and its value from a map (or flat array) reply.
func dropField(r *redistest.Reply, key string) {
	i := r.FieldIndex(key)
	if i < 0 {
		return
	}
	r.Elems = append(r.Elems[:i-1:i-1], r.Elems[i+1:]...)
}
