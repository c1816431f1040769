// Peer benchmark: DuckDB and Polars (Node.js bindings) on the grouped
// queries that bench/ runs with parairline, over airOT1990{01..12}.csv.
//
// Usage: node peers.mjs [DATA_DIR] [REPS] [TOOLS]
//   DATA_DIR  default /tmp/bench-data
//   REPS      timed runs per query after one warm-up, default 5
//   TOOLS     comma list, default duckdb,polars
// The npm packages are found from the current directory or NODE_PATH
// (see README.md); they are never installed into the repo.

import { createRequire } from "node:module";
import { join } from "node:path";
import { existsSync } from "node:fs";

const dataDir = process.argv[2] ?? "/tmp/bench-data";
const reps = Number(process.argv[3] ?? 5);
const tools = (process.argv[4] ?? "duckdb,polars").split(",");
const THREADS = 2;

// Polars reads this once, when its native library loads: set it first.
process.env.POLARS_MAX_THREADS ??= String(THREADS);

// ES modules ignore NODE_PATH; a CommonJS require rooted at the cwd
// honours both the cwd's node_modules and NODE_PATH.
const require = createRequire(join(process.cwd(), "noop.js"));

const files = Array.from({ length: 12 }, (_, i) =>
  join(dataDir, `airOT1990${String(i + 1).padStart(2, "0")}.csv`));
for (const f of files) if (!existsSync(f)) throw new Error(`missing ${f}`);

const EXPECT_TAIL_GROUPS = 1621154;

// Each query returns the number of groups, so every tool is checked
// for the same answer.
function duckdbQueries(conn) {
  const src = `read_csv([${files.map((f) => `'${f}'`).join(", ")}])`;
  const tail = `SELECT TAIL_NUM, FL_DATE, count(*) AS n, sum(DISTANCE) AS dist
                FROM ${src} GROUP BY 1, 2`;
  const rows = async (sql) => (await conn.runAndReadAll(sql)).getRows();
  return {
    "one-key": async () => (await rows(
      `SELECT UNIQUE_CARRIER, count(*), sum(DISTANCE) FROM ${src} GROUP BY 1`)).length,
    // Realistic case: all 1.6M result rows converted into JS arrays.
    "tail": async () => (await rows(tail)).length,
    // Same grouping, but only the count crosses into JS.
    "tail-count": async () => Number((await rows(`SELECT count(*) FROM (${tail})`))[0][0]),
    "three-keys": async () => (await rows(
      `SELECT YEAR, MONTH, UNIQUE_CARRIER, count(*),
              sum(DISTANCE), avg(DISTANCE), min(DISTANCE), max(DISTANCE),
              sum(ARR_DELAY), avg(ARR_DELAY), min(ARR_DELAY), max(ARR_DELAY)
       FROM ${src} WHERE CANCELLED = 0 GROUP BY 1, 2, 3`)).length,
  };
}

function polarsQueries(pl) {
  // A fresh lazy scan per run, so no plan or data is reused across reps.
  const scan = () => pl.concat(files.map((f) => pl.scanCSV(f)));
  const aggs = (c) => [c.sum(), c.mean(), c.min(), c.max()];
  const distAgg = () => pl.col("DISTANCE").sum().alias("dist");
  return {
    "one-key": async () => (await scan().groupBy("UNIQUE_CARRIER")
      .agg(pl.len().alias("n"), distAgg()).collect()).height,
    // collect() materialises the result as a Polars DataFrame (Arrow
    // memory, not JS objects).
    "tail": async () => (await scan().groupBy(["TAIL_NUM", "FL_DATE"])
      .agg(pl.len().alias("n"), distAgg()).collect()).height,
    "three-keys": async () => (await scan().filter(pl.col("CANCELLED").eq(0))
      .groupBy(["YEAR", "MONTH", "UNIQUE_CARRIER"])
      .agg(pl.len().alias("n"),
        ...aggs(pl.col("DISTANCE")).map((e, i) => e.alias(`d${i}`)),
        ...aggs(pl.col("ARR_DELAY")).map((e, i) => e.alias(`a${i}`)))
      .collect()).height,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function timeOne(fn) {
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  const groups = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, groups };
}

async function bench(tool, queries) {
  const names = Object.keys(queries);
  const groups = {};
  // Warm-up: one run of each query (page cache, lazy library init).
  for (const q of names) groups[q] = (await timeOne(queries[q])).groups;
  const wall = Object.fromEntries(names.map((q) => [q, []]));
  const cpu = Object.fromEntries(names.map((q) => [q, []]));
  // Queries interleaved within each rep, so a per-rep ratio compares
  // runs made under similar load on this shared machine.
  for (let r = 0; r < reps; r++) {
    for (const q of names) {
      const t = await timeOne(queries[q]);
      if (t.groups !== groups[q]) throw new Error(`${tool} ${q}: group count changed`);
      wall[q].push(t.wall);
      cpu[q].push(t.cpu);
    }
  }
  console.log(`\n== ${tool} (${THREADS} threads, ${reps} reps after 1 warm-up)`);
  console.log("query        groups    median_s  min_s    cpu/wall  all_s");
  for (const q of names) {
    const util = median(cpu[q].map((c, i) => c / wall[q][i]));
    console.log(`${q.padEnd(12)} ${String(groups[q]).padStart(8)}  ` +
      `${median(wall[q]).toFixed(3).padStart(8)}  ${Math.min(...wall[q]).toFixed(3).padStart(7)}  ` +
      `${util.toFixed(2).padStart(8)}  ${wall[q].map((w) => w.toFixed(2)).join(" ")}`);
  }
  if (groups.tail !== EXPECT_TAIL_GROUPS)
    console.log(`WARNING: tail groups ${groups.tail}, expected ${EXPECT_TAIL_GROUPS}`);
  for (const q of names.filter((q) => q !== "one-key")) {
    const ratios = wall[q].map((w, i) => w / wall["one-key"][i]);
    console.log(`ratio ${q}/one-key: median of per-rep ratios ${median(ratios).toFixed(2)}` +
      ` (ratio of medians ${(median(wall[q]) / median(wall["one-key"])).toFixed(2)})`);
  }
}

const version = (p) => { try { return require(`${p}/package.json`).version; } catch { return "?"; } };
console.log(`node ${process.version}; data ${dataDir}; ${files.length} files`);

for (const tool of tools) {
  if (tool === "duckdb") {
    const { DuckDBInstance } = require("@duckdb/node-api");
    const inst = await DuckDBInstance.create(":memory:");
    const conn = await inst.connect();
    await conn.run(`SET threads=${THREADS}`);
    const v = (await conn.runAndReadAll("SELECT version()")).getRows()[0][0];
    console.log(`duckdb ${v} (@duckdb/node-api ${version("@duckdb/node-api")})`);
    await bench("duckdb", duckdbQueries(conn));
    conn.closeSync();
    inst.closeSync();
  } else if (tool === "polars") {
    let pl;
    try {
      pl = require("nodejs-polars");
    } catch (e) {
      console.log(`polars: cannot load nodejs-polars (${e.message.split("\n")[0]}); skipped`);
      continue;
    }
    console.log(`nodejs-polars ${version("nodejs-polars")}, POLARS_MAX_THREADS=${process.env.POLARS_MAX_THREADS}`);
    await bench("polars", polarsQueries(pl));
  } else {
    throw new Error(`unknown tool ${tool}`);
  }
}
