// ioredis stream scenarios. Pelican's clienttest package runs this script
// with the server's port in CLIENTTEST_PORT and a database in
// CLIENTTEST_DB; it exits non-zero on the first failed expectation. Every
// scenario runs over RESP2, over RESP3 with ioredis's default RESP2-shaped
// replies, and over RESP3 with native maps.
"use strict";

const assert = require("node:assert/strict");
const Redis = require("ioredis");

const port = Number(process.env.CLIENTTEST_PORT);
const db = Number(process.env.CLIENTTEST_DB || "0");
if (!port) {
  throw new Error("CLIENTTEST_PORT is not set");
}

const configs = [
  { name: "resp2", protocol: 2 },
  { name: "resp3", protocol: 3 },
  { name: "resp3-maps", protocol: 3, replyMapping: "resp3" },
];

function connect(cfg) {
  const opts = { host: "127.0.0.1", port, db, protocol: cfg.protocol, maxRetriesPerRequest: 1 };
  if (cfg.replyMapping) {
    opts.replyMapping = cfg.replyMapping;
  }
  return new Redis(opts);
}

// fields turns a flat field/value array or a RESP3 map into an object.
function fields(reply) {
  if (!Array.isArray(reply)) {
    return Object.fromEntries(Object.entries(reply).map(([k, v]) => [k, v]));
  }
  const out = {};
  for (let i = 0; i + 1 < reply.length; i += 2) {
    out[reply[i]] = reply[i + 1];
  }
  return out;
}

// streamsOf turns an XREAD/XREADGROUP reply (an array of [key, entries]
// or, with native maps, an object) into [key, entries] pairs.
function streamsOf(reply) {
  if (reply === null) {
    return null;
  }
  return Array.isArray(reply) ? reply : Object.entries(reply);
}

async function waitBlocked(admin, n) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const info = await admin.info("clients");
    const m = /blocked_clients:(\d+)/.exec(info);
    if (m && Number(m[1]) === n) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`blocked_clients never reached ${n}: ${info}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function waitIdle(r, key, group, ms) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const [count] = await r.xpending(key, group);
    const idle = await r.xpending(key, group, "IDLE", ms, "-", "+", 100);
    if (idle.length === Number(count)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`entries of ${key} never idle for ${ms} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function scenario(cfg) {
  const r = connect(cfg);
  const other = connect(cfg);
  const k = (name) => `${cfg.name}:${name}`;
  try {
    // XADD, XLEN, XRANGE, XREVRANGE.
    assert.equal(await r.xadd(k("s"), "1-1", "name", "alice", "age", "30"), "1-1");
    assert.equal(await r.xadd(k("s"), "1-*", "name", "bob"), "1-2");
    const auto = await r.xadd(k("s"), "*", "name", "carol");
    assert.match(auto, /^\d{13}-\d+$/);
    assert.equal(await r.xlen(k("s")), 3);
    assert.deepEqual(await r.xrange(k("s"), "-", "+"), [
      ["1-1", ["name", "alice", "age", "30"]],
      ["1-2", ["name", "bob"]],
      [auto, ["name", "carol"]],
    ]);
    assert.deepEqual(await r.xrange(k("s"), "(1-1", "+", "COUNT", 1), [["1-2", ["name", "bob"]]]);
    assert.deepEqual((await r.xrevrange(k("s"), "+", "-", "COUNT", 2)).map((e) => e[0]), [auto, "1-2"]);
    await assert.rejects(r.xadd(k("s"), "1-1", "x", "y"), {
      message: "ERR The ID specified in XADD is equal or smaller than the target stream top item",
    });
    for (let i = 0; i < 250; i++) {
      await r.xadd(k("trim"), "MAXLEN", "~", 100, `${i + 1}-0`, "i", i + 1);
    }
    assert.equal(await r.xlen(k("trim")), 150);
    assert.equal(await r.xtrim(k("trim"), "MAXLEN", 10), 140);
    assert.equal(await r.xdel(k("trim"), "250-0", "999-0"), 1);

    // Consumer groups: XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.
    assert.equal(await r.xgroup("CREATE", k("q"), "g", "$", "MKSTREAM"), "OK");
    await assert.rejects(r.xgroup("CREATE", k("q"), "g", "$"), {
      message: "BUSYGROUP Consumer Group name already exists",
    });
    for (let i = 1; i <= 4; i++) {
      await r.xadd(k("q"), `${i}-0`, "n", i);
    }
    let got = streamsOf(await r.xreadgroup("GROUP", "g", "alice", "COUNT", 3, "STREAMS", k("q"), ">"));
    assert.deepEqual(got, [[k("q"), [["1-0", ["n", "1"]], ["2-0", ["n", "2"]], ["3-0", ["n", "3"]]]]]);
    got = streamsOf(await r.xreadgroup("GROUP", "g", "bob", "STREAMS", k("q"), ">"));
    assert.deepEqual(got, [[k("q"), [["4-0", ["n", "4"]]]]]);
    assert.equal(await r.xreadgroup("GROUP", "g", "bob", "STREAMS", k("q"), ">"), null);
    assert.equal(await r.xack(k("q"), "g", "2-0", "9-0"), 1);
    assert.deepEqual(await r.xpending(k("q"), "g"), [3, "1-0", "4-0", [["alice", "2"], ["bob", "1"]]]);
    const ext = await r.xpending(k("q"), "g", "-", "+", 10, "alice");
    assert.deepEqual(ext.map((e) => [e[0], e[1], e[3]]), [["1-0", "alice", 1], ["3-0", "alice", 1]]);
    assert.equal(typeof ext[0][2], "number");
    assert.deepEqual(await r.xclaim(k("q"), "g", "carol", 3600000, "1-0"), []);
    await waitIdle(r, k("q"), "g", 20);
    assert.deepEqual(await r.xclaim(k("q"), "g", "carol", 10, "1-0", "3-0"), [["1-0", ["n", "1"]], ["3-0", ["n", "3"]]]);
    assert.deepEqual(await r.xclaim(k("q"), "g", "carol", 0, "4-0", "JUSTID"), ["4-0"]);
    const ac = await r.xautoclaim(k("q"), "g", "dave", 0, "0-0", "COUNT", 2);
    assert.deepEqual(ac.slice(0, 2), ["4-0", [["1-0", ["n", "1"]], ["3-0", ["n", "3"]]]]);
    assert.deepEqual(await r.xautoclaim(k("q"), "g", "dave", 0, "3-0", "JUSTID"), ["0-0", ["3-0", "4-0"], []]);

    // XINFO STREAM, GROUPS, CONSUMERS and STREAM FULL.
    const info = fields(await r.xinfo("STREAM", k("q")));
    assert.equal(info.length, 4);
    assert.equal(info["last-generated-id"], "4-0");
    assert.equal(info.groups, 1);
    assert.deepEqual(info["first-entry"], ["1-0", ["n", "1"]]);
    const groups = (await r.xinfo("GROUPS", k("q"))).map(fields);
    assert.deepEqual(groups, [{ name: "g", consumers: 4, pending: 3, "last-delivered-id": "4-0", "entries-read": 4, lag: 0 }]);
    const consumers = (await r.xinfo("CONSUMERS", k("q"), "g")).map(fields);
    assert.deepEqual(consumers.map((c) => [c.name, c.pending]), [["alice", 0], ["bob", 0], ["carol", 0], ["dave", 3]]);
    const full = fields(await r.xinfo("STREAM", k("q"), "FULL"));
    assert.equal(full.entries.length, 4);
    const fullGroup = fields(full.groups[0]);
    assert.equal(fullGroup["pel-count"], 3);
    assert.deepEqual(fullGroup.pending.map((p) => [p[0], p[1]]), [["1-0", "dave"], ["3-0", "dave"], ["4-0", "dave"]]);
    await assert.rejects(r.xinfo("STREAM", k("missing")), { message: "ERR no such key" });

    // A blocked XREAD is served by an XADD from another connection.
    const blocked = r.xread("BLOCK", 10000, "STREAMS", k("live"), "$");
    await waitBlocked(other, 1);
    assert.equal(await other.xadd(k("live"), "5-0", "hello", "world"), "5-0");
    assert.deepEqual(streamsOf(await blocked), [[k("live"), [["5-0", ["hello", "world"]]]]]);
    assert.equal(await r.xread("BLOCK", 20, "STREAMS", k("live"), "$"), null);

    // Pipelines answer in order, errors in place.
    const results = await r
      .pipeline()
      .xadd(k("p"), "1-0", "a", "1")
      .xadd(k("p"), "1-0", "a", "again")
      .xadd(k("p"), "2-0", "b", "2")
      .xlen(k("p"))
      .xrange(k("p"), "-", "+", "COUNT", 1)
      .exec();
    assert.deepEqual(results[0], [null, "1-0"]);
    assert.match(results[1][0].message, /equal or smaller than the target stream top item/);
    assert.deepEqual(results.slice(2), [[null, "2-0"], [null, 2], [null, [["1-0", ["a", "1"]]]]]);

    // MULTI/EXEC, and WATCH with a conflicting write.
    const tx = await r.multi().xadd(k("t"), "1-0", "a", "1").xadd(k("t"), "2-0", "b", "2").xlen(k("t")).exec();
    assert.deepEqual(tx, [[null, "1-0"], [null, "2-0"], [null, 2]]);
    await r.watch(k("t"));
    await other.xadd(k("t"), "3-0", "by", "other");
    assert.equal(await r.multi().xadd(k("t"), "4-0", "by", "watcher").exec(), null);
    assert.deepEqual((await r.xrevrange(k("t"), "+", "-", "COUNT", 1))[0][0], "3-0");
    await assert.rejects(r.multi().xadd(k("t")).xlen(k("t")).exec(), /EXECABORT|wrong number of arguments/);
    assert.equal(await r.xlen(k("t")), 3);

    console.log(`${cfg.name}: ok`);
  } finally {
    r.disconnect();
    other.disconnect();
  }
}

(async () => {
  for (const cfg of configs) {
    await scenario(cfg);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
