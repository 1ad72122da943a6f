package persisttest

import (
	"testing"
)

// TestPelicanRestartEquivalence runs the workload on pelican server,
// kills it, restarts it on its directory, and compares every field it
// reports, including those Redis 7.0 does not know (the consumers'
// seen-time and active-time, the groups' nacked-count, the streams' IDMP
// fields). It then writes more, kills and restarts it once more, so that
// a journal continued after a restart is replayed too.
func TestPelicanRestartEquivalence(t *testing.T) {
	dir := t.TempDir()
	pel := startPelican(t, dir)
	c := pel.dial(t)
	runWorkload(t, c)
	before := takeSnapshot(t, c, fieldsAll, false)
	pel.kill()

	pel = startPelican(t, dir)
	c = pel.dial(t)
	compareSnapshots(t, "pelican after a restart", takeSnapshot(t, c, fieldsAll, false), before)

	w := &workload{t: t, c: c}
	w.do("XADD", "s1", "*", "after", "restart")
	w.do("XREADGROUP", "GROUP", "g-all", "alice", "STREAMS", "s1", "0")
	w.do("XREADGROUP", "GROUP", "g-new", "zoe", "COUNT", "1", "NOACK", "STREAMS", "s1", ">")
	w.do("XREADGROUP", "GROUP", "g-all", "idle-reader", "STREAMS", "s1", "0")
	w.do("XACKDEL", "s1", "g-new", "KEEPREF", "IDS", "1", mustDo(t, c, "XRANGE", "s1", "-", "+", "COUNT", "1").Elems[0].Elems[0].Str)
	w.do("SELECT", "2")
	w.do("SET", "db2:key", "v", "PX", "900000")
	w.do("SELECT", "0")
	before = takeSnapshot(t, c, fieldsAll, false)
	pel.kill()

	pel = startPelican(t, dir)
	compareSnapshots(t, "pelican after a second restart", takeSnapshot(t, pel.dial(t), fieldsAll, false), before)
}
