// `npm run bench`: paired timings of the built CLI against baselines on this machine. Each figure runs A and
// B alternately (A, B, A, B, ...) and reports the median of the per-pair ratios, so load on the machine hits
// both sides alike. Results go to the console and to bench-results/latest.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "bin", "roadmap.js");
const pairs = Number(process.env.BENCH_PAIRS ?? 15);

function timeOnce(argv, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function paired(name, a, b, goal, env) {
  timeOnce(a, env); // warm the file cache and the content cache
  timeOnce(b, env);
  const ratios = [];
  const aTimes = [];
  const bTimes = [];
  for (let i = 0; i < pairs; i++) {
    const ta = timeOnce(a, env);
    const tb = timeOnce(b, env);
    aTimes.push(ta);
    bTimes.push(tb);
    ratios.push(ta / tb);
  }
  const ratio = median(ratios);
  return { name, a: median(aTimes), b: median(bTimes), ratio, goal, ok: ratio <= goal };
}

const home = mkdtempSync(join(tmpdir(), "roadmap-bench-"));
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), NO_COLOR: "1" };
const workspace = join(home, "ws");
const init = spawnSync(process.execPath, [cli, "init", workspace], { env, encoding: "utf8" });
if (init.status !== 0) throw new Error(`roadmap init failed: ${init.stderr}`);
const inWorkspace = { ...env, ROADMAP_WORKSPACE: workspace };
const node0 = [process.execPath, "-e", "0"];

const results = [
  paired("roadmap status / node -e 0", [process.execPath, cli, "status"], node0, 1.5, inWorkspace),
  paired("roadmap next --json / node -e 0", [process.execPath, cli, "next", "--json"], node0, 1.5, inWorkspace),
];
rmSync(home, { recursive: true, force: true });

const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
console.log(`Benchmarks (${pairs} pairs each, median of paired ratios) on ${machine}`);
console.log("| figure | A ms | B ms | ratio | goal |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(`| ${r.name} | ${r.a.toFixed(1)} | ${r.b.toFixed(1)} | ${r.ratio.toFixed(2)}x | <= ${r.goal}x ${r.ok ? "ok" : "MISSED"} |`);
}
mkdirSync(join(root, "bench-results"), { recursive: true });
writeFileSync(join(root, "bench-results", "latest.json"), JSON.stringify({ machine, date: new Date().toISOString(), pairs, results }, null, 2));
