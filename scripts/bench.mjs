// `npm run bench`: paired timings of the built CLI against baselines on this machine. Each figure runs A and
// B alternately (A, B, A, B, ...) and reports the median of the per-pair ratios, so load on the machine hits
// both sides alike. Results go to the console and to bench-results/latest.json.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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

function paired(name, a, b, goal, env, count = pairs) {
  timeOnce(a, env); // warm the file cache and the content cache
  timeOnce(b, env);
  const ratios = [];
  const aTimes = [];
  const bTimes = [];
  for (let i = 0; i < count; i++) {
    const ta = timeOnce(a, env);
    const tb = timeOnce(b, env);
    aTimes.push(ta);
    bTimes.push(tb);
    ratios.push(ta / tb);
  }
  const ratio = median(ratios);
  return { name, a: median(aTimes), b: median(bTimes), ratio, goal, ok: ratio <= goal, pairs: count };
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
  ...verifyAllFigures(),
];
rmSync(home, { recursive: true, force: true });

/**
 * `roadmap ci` over every bundled exercise, with the reference solutions as the workspace, against the same
 * verifiers run by hand: all in one pytest process (the floor batching aims at), and one process per exercise
 * (what checking them one by one costs). The folders are staged once, outside the timings.
 */
function verifyAllFigures() {
  const python = [process.env.ROADMAP_PYTHON, process.env.ROADMAP_TEST_PYTHONS?.split(":")[0], "/usr/bin/python3", "python3"].find(
    (candidate) => candidate && spawnSync(candidate, ["-c", "import fastapi, sqlalchemy, pytest"]).status === 0,
  );
  if (!python) {
    console.log("Skipped the roadmap ci figures: no Python with fastapi, SQLAlchemy and pytest (set ROADMAP_PYTHON).");
    return [];
  }
  const staged = join(home, "staged");
  const exercises = [];
  for (const stage of readdirSync(join(root, "exercises"))) {
    for (const id of readdirSync(join(root, "exercises", stage))) {
      const dir = join(root, "exercises", stage, id);
      cpSync(join(dir, "solution"), join(workspace, stage, id), { recursive: true });
      cpSync(join(dir, "solution"), join(staged, id), { recursive: true });
      for (const test of readdirSync(join(dir, "tests")).filter((name) => name.endsWith(".py"))) cpSync(join(dir, "tests", test), join(staged, id, test));
      exercises.push(id);
    }
  }
  const pytest = (dirs) => [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null", `--rootdir=${staged}`, "-p", "roadmap_pytest", ...dirs.map((id) => join(staged, id))];
  const script = join(home, "one-per-exercise.sh");
  writeFileSync(script, "set -e\n" + exercises.map((id) => pytest([id]).map((arg) => `'${arg}'`).join(" ") + " >/dev/null").join("\n") + "\n");
  const verifyEnv = { ...inWorkspace, ROADMAP_PYTHON: python, ROADMAP_STRICT: "1", PYTHONDONTWRITEBYTECODE: "1", PYTHONPATH: join(root, "python") };
  const ciPairs = Number(process.env.BENCH_CI_PAIRS ?? 5);
  const ci = [process.execPath, cli, "ci", "--out", join(home, "badge")];
  return [
    paired(`roadmap ci, ${exercises.length} exercises / one pytest process`, ci, pytest(exercises), 1.3, verifyEnv, ciPairs),
    paired(`roadmap ci, ${exercises.length} exercises / one pytest process per exercise`, ci, ["sh", script], 1, verifyEnv, ciPairs),
  ];
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
console.log(`Benchmarks (${pairs} pairs each unless said, median of paired ratios) on ${machine}`);
console.log("| figure | A ms | B ms | ratio | goal |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(`| ${r.name}${r.pairs === pairs ? "" : ` (${r.pairs} pairs)`} | ${r.a.toFixed(1)} | ${r.b.toFixed(1)} | ${r.ratio.toFixed(2)}x | <= ${r.goal}x ${r.ok ? "ok" : "MISSED"} |`);
}
mkdirSync(join(root, "bench-results"), { recursive: true });
writeFileSync(join(root, "bench-results", "latest.json"), JSON.stringify({ machine, date: new Date().toISOString(), pairs, results }, null, 2));
