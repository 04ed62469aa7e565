// `npm run bench`: paired timings of the built CLI against baselines on this machine. Each figure runs A and
// B alternately (A, B, A, B, ...) and reports the median of the per-pair ratios, so load on the machine hits
// both sides alike. Results go to the console and to bench-results/latest.json.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "bin", "roadmap.js");
const pairs = Number(process.env.BENCH_PAIRS ?? 15);

// A loaded machine hides fixed costs (pytest's own time swells and swamps roadmap's): refuse to measure there,
// unless BENCH_ALLOW_LOAD=1, and then every figure is flagged as measured under load.
const [load1] = loadavg();
const underLoad = load1 > cpus().length;
if (underLoad && process.env.BENCH_ALLOW_LOAD !== "1") {
  console.error(`The load average is ${load1.toFixed(2)} on ${cpus().length} cores: figures would hide roadmap's fixed costs. Wait for a quiet machine, or set BENCH_ALLOW_LOAD=1 to flag them as loaded.`);
  process.exit(2);
}

/** An exercise's reference solution as the learner would have it: a stored `gitignore` is `.gitignore` there. */
function copySolution(exerciseDir, target) {
  cpSync(join(exerciseDir, "solution"), target, { recursive: true });
  if (existsSync(join(target, "gitignore"))) renameSync(join(target, "gitignore"), join(target, ".gitignore"));
}

function timeOnce(argv, env, cwd) {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { env, cwd, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** `goal` null: a figure to read, not a bound. `cwd` is where both commands run (default: here). */
function paired(name, a, b, goal, env, count = pairs, cwd = undefined) {
  timeOnce(a, env, cwd); // warm the file cache and the content cache
  timeOnce(b, env, cwd);
  const ratios = [];
  const aTimes = [];
  const bTimes = [];
  for (let i = 0; i < count; i++) {
    const ta = timeOnce(a, env, cwd);
    const tb = timeOnce(b, env, cwd);
    aTimes.push(ta);
    bTimes.push(tb);
    ratios.push(ta / tb);
  }
  const ratio = median(ratios);
  return { name, a: median(aTimes), b: median(bTimes), ratio, spread: spread(ratios), goal, ok: goal === null || ratio <= goal, pairs: count };
}

/** The middle half of the values (25th to 75th percentile): how far one figure can be trusted. */
function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return [at(0.25), at(0.75)];
}

const home = mkdtempSync(join(tmpdir(), "roadmap-bench-"));
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), NO_COLOR: "1" };
const workspace = join(home, "ws");
// NOTE: init installs the tool into the workspace (npm install of this clone: a link without a remote, a git
// install with one), so `npx roadmap` runs there as it does for a learner.
const init = spawnSync(process.execPath, [cli, "init", workspace], { env, encoding: "utf8" });
if (init.status !== 0) throw new Error(`roadmap init failed: ${init.stderr}${init.stdout}`);
const inWorkspace = { ...env, ROADMAP_WORKSPACE: workspace };
const node0 = [process.execPath, "-e", "0"];

const python = spawnSync(process.env.ROADMAP_PYTHON ?? "python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();
// BENCH_ONLY=front-door,status runs only those groups (in this order either way).
const figures = {
  status: () => [
    paired("roadmap status / node -e 0", [process.execPath, cli, "status"], node0, 1.5, inWorkspace),
    paired("roadmap next --json / node -e 0", [process.execPath, cli, "next", "--json"], node0, 1.5, inWorkspace),
    nextAtExerciseFigure(),
  ],
  "front-door": frontDoorFigures,
  memory: () => peakMemoryFigure([process.execPath, cli, "status"], node0, 1.3, inWorkspace),
  scale: () => [scaleFigure()],
  check: () => [checkFigure("portfolio-oop"), checkFigure("orders-crud-api")],
  watch: () => [watchFigure("portfolio-oop"), watchFigure("orders-crud-api")],
  ci: verifyAllFigures,
};
const only = process.env.BENCH_ONLY?.split(",");
const results = [];
for (const [group, figure] of Object.entries(figures)) if (!only || only.includes(group)) results.push(...(await figure()));
rmSync(home, { recursive: true, force: true });

/**
 * The two ways a learner starts the tool in the workspace: `npx roadmap status` (npm finds the tool in
 * node_modules/.bin) and `roadmap status` with the tool on PATH (as `npm link` puts it), against a bare Node start.
 */
function frontDoorFigures() {
  const bin = join(home, "global-bin");
  mkdirSync(bin, { recursive: true });
  symlinkSync(cli, join(bin, "roadmap"));
  // The learner's own environment: no ROADMAP_WORKSPACE, the workspace is found from the current folder.
  const learnerEnv = { ...env, PATH: `${bin}:${process.env.PATH}` };
  const npx = ["npx", "roadmap", "status"];
  const onPath = ["roadmap", "status"];
  return [
    paired("npx roadmap status / roadmap status on PATH (in the workspace)", npx, onPath, null, learnerEnv, pairs, workspace),
    paired("roadmap status on PATH / node -e 0 (in the workspace)", onPath, node0, 1.5, learnerEnv, pairs, workspace),
    paired("npx roadmap status / node -e 0 (in the workspace)", npx, node0, null, learnerEnv, pairs, workspace),
  ];
}

/**
 * `next` when an exercise is next: it asks the verifiers' Python whether it has what the exercise needs, once, then
 * reuses that answer while the interpreter and its site-packages are unchanged (src/python-ready.ts).
 */
function nextAtExerciseFigure() {
  const dir = join(home, "ws-exercise-next");
  const made = spawnSync(process.execPath, [cli, "init", dir, "--no-install"], { env, encoding: "utf8" });
  if (made.status !== 0) throw new Error(`roadmap init failed: ${made.stderr}`);
  const at = { ...env, ROADMAP_WORKSPACE: dir };
  spawnSync(process.execPath, [cli, "learn", "core-python"], { env: at });
  const step = JSON.parse(spawnSync(process.execPath, [cli, "next", "--json"], { env: at, encoding: "utf8" }).stdout);
  // "setup": this Python lacks pytest; next asks it all the same (and caches the answer).
  if (step.kind !== "exercise" && step.kind !== "setup") throw new Error(`expected an exercise to be next, got ${step.kind}`);
  return paired("roadmap next --json, an exercise next (Python asked once, cached) / node -e 0", [process.execPath, cli, "next", "--json"], node0, 1.5, at);
}

/** Peak RSS (kB, from /usr/bin/time) of A and B, paired like the timings; skipped where there is no GNU time. */
function peakMemoryFigure(a, b, goal, env) {
  if (!existsSync("/usr/bin/time")) return [];
  const peakKb = (argv) => {
    const run = spawnSync("/usr/bin/time", ["-f", "%M", ...argv], { env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
    if (run.status !== 0) throw new Error(`${argv.join(" ")} exited ${run.status}: ${run.stderr}`);
    return Number(run.stderr.trim().split("\n").pop());
  };
  const aKb = [];
  const bKb = [];
  for (let i = 0; i < pairs; i++) {
    aKb.push(peakKb(a));
    bKb.push(peakKb(b));
  }
  const ratio = median(aKb.map((kb, i) => kb / bKb[i]));
  return [{ name: "peak RSS: roadmap status / node -e 0", a: median(aKb), b: median(bKb), unit: "kB", ratio, goal, ok: ratio <= goal, pairs }];
}

/** `status` on a generated roadmap of 200 stages and 5,000 questions against `status` on the bundled 8 stages. */
function scaleFigure() {
  const big = join(home, "big-roadmap");
  mkdirSync(join(big, "roadmap"), { recursive: true });
  for (let n = 1; n <= 200; n++) {
    const questions = Array.from({ length: 25 }, (_, q) =>
      [`    - id: s${n}-q${q}`, "      type: single", `      prompt: "Question ${q} of stage ${n}?"`, "      options:", "        - id: a", '          text: "A"', "        - id: b", '          text: "B"', "      answer: a", '      explanation: "Because."'].join("\n"),
    );
    const checklist = Array.from({ length: 5 }, (_, c) => `  - id: s${n}-item-${c}\n    text: "Item ${c}"`);
    const front = [`format: 1`, `id: stage-${n}`, `title: "Stage ${n}"`, `order: ${n}`, `summary: "Generated."`, "checklist:", ...checklist, "quiz:", "  questions:", ...questions];
    writeFileSync(join(big, "roadmap", `${String(n).padStart(3, "0")}-stage-${n}.md`), `---\n${front.join("\n")}\n---\n\n# Stage ${n}\n\n${"A lesson paragraph.\n\n".repeat(20)}`);
  }
  const bigWorkspace = join(home, "big-ws");
  const made = spawnSync(process.execPath, [cli, "--roadmap", big, "init", bigWorkspace, "--no-install"], { env, encoding: "utf8" });
  if (made.status !== 0) throw new Error(`roadmap init of the generated roadmap failed: ${made.stderr}`);
  return paired(
    "roadmap status, 200 stages + 5,000 questions / the bundled 8 stages",
    [process.execPath, cli, "--roadmap", big, "--workspace", bigWorkspace, "status"],
    [process.execPath, cli, "status"],
    2,
    inWorkspace,
  );
}

/**
 * `roadmap check <exercise>` with the reference solution as the workspace's file, against the same pytest run by
 * hand (the same staged files, Python, flags, plugins and environment as src/verify/verify.ts: `-s`, the judge,
 * plugin autoload off), and a bare `node -e 0` in the same rounds. Goal: check costs at most one Node start plus
 * 60 ms over that pytest run (median over rounds of check - pytest - node).
 */
function checkFigure(id) {
  const exercise = readdirSync(join(root, "exercises")).map((stage) => join(root, "exercises", stage, id)).find((dir) => existsSync(dir));
  const stage = join(exercise, "..").split("/").pop();
  copySolution(exercise, join(workspace, stage, id));
  const staged = join(home, `check-staged-${id}`);
  copySolution(exercise, join(staged, id));
  for (const test of readdirSync(join(exercise, "tests")).filter((name) => name.endsWith(".py"))) cpSync(join(exercise, "tests", test), join(staged, id, test));
  const direct = [
    python, "-s", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null", `--rootdir=${staged}`, `--confcutdir=${staged}`,
    "-p", "roadmap_judge", "-p", "roadmap_pytest", "--continue-on-collection-errors", join(staged, id),
  ];
  const checkEnv = {
    ...inWorkspace,
    ROADMAP_PYTHON: python,
    PYTHONPATH: join(root, "python"),
    PYTHONDONTWRITEBYTECODE: "1",
    PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1",
    ROADMAP_REPORT: join(staged, "environment.json"),
    ROADMAP_REQUIRES: JSON.stringify({ [id]: [] }),
  };
  const check = [process.execPath, cli, "check", id, "--python", python];
  for (const argv of [check, direct, node0]) timeOnce(argv, checkEnv);
  const excess = [];
  const times = { check: [], direct: [], node: [] };
  for (let i = 0; i < pairs; i++) {
    const round = { check: timeOnce(check, checkEnv), direct: timeOnce(direct, checkEnv), node: timeOnce(node0, checkEnv) };
    for (const key of Object.keys(times)) times[key].push(round[key]);
    excess.push(round.check - round.direct - round.node);
  }
  const over = median(excess);
  return {
    name: `roadmap check ${id} - the same pytest run - node -e 0 (check ${median(times.check).toFixed(0)} ms, pytest ${median(times.direct).toFixed(0)} ms, node ${median(times.node).toFixed(0)} ms)`,
    a: over,
    b: null,
    ratio: null,
    spread: spread(excess),
    unit: "ms",
    goal: 60,
    ok: over <= 60,
    pairs,
  };
}

/**
 * `roadmap watch` under a pseudo-terminal: file saved -> verdict shown, against a cold direct pytest run of the
 * same tests (scripts/bench_watch.py). The exercise holds a known-wrong solution, so watch stays on it and each
 * run goes through nearly every test. Goal: the warm path (src/verify/warm.ts) at or below half the cold run.
 */
function watchFigure(id) {
  const exercise = readdirSync(join(root, "exercises")).map((stage) => join(root, "exercises", stage, id)).find((dir) => existsSync(dir));
  const stage = join(exercise, "..").split("/").pop();
  const target = join(workspace, stage, id);
  copySolution(exercise, target);
  const [wrong] = readdirSync(join(exercise, "wrong")).sort();
  const patched = spawnSync("patch", ["-s", "-p1", "-i", join(exercise, "wrong", wrong)], { cwd: target, encoding: "utf8" });
  if (patched.status !== 0) throw new Error(`patch ${wrong} failed: ${patched.stderr}${patched.stdout}`);
  const run = spawnSync("python3", [join(root, "scripts", "bench_watch.py"), cli, exercise, workspace, python, String(pairs)], { env: { ...inWorkspace, TERM: "dumb" }, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`bench_watch.py failed: ${run.stderr}${run.stdout}`);
  const { warm, cold } = JSON.parse(run.stdout.trim().split("\n").pop());
  const ratios = warm.map((ms, i) => ms / cold[i]);
  const ratio = median(ratios);
  return { name: `roadmap watch ${id}: save -> verdict (warm) / a cold pytest run of the same tests`, a: median(warm), b: median(cold), ratio, spread: spread(ratios), goal: 0.5, ok: ratio <= 0.5, pairs };
}

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
      copySolution(dir, join(workspace, stage, id));
      copySolution(dir, join(staged, id));
      for (const test of readdirSync(join(dir, "tests")).filter((name) => name.endsWith(".py"))) cpSync(join(dir, "tests", test), join(staged, id, test));
      exercises.push(id);
    }
  }
  // The flags roadmap passes, JUnit report included (roadmap ci adds -v for its progress lines).
  const pytest = (dirs) => [
    python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null", `--rootdir=${staged}`, `--confcutdir=${staged}`, "-p", "roadmap_pytest",
    "--continue-on-collection-errors", "-o", "junit_family=xunit1", `--junitxml=${join(staged, `junit-${dirs.length}.xml`)}`, ...dirs.map((id) => join(staged, id)),
  ];
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
console.log(`Benchmarks (${pairs} pairs each unless said, median of paired ratios, spread = 25th-75th percentile) on ${machine}, load ${load1.toFixed(2)}${underLoad ? " (UNDER LOAD: fixed costs are hidden)" : ""}`);
console.log("| figure | A | B | ratio | spread | goal |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  const unit = r.unit ?? "ms";
  const amount = (value) => (value === null ? "" : unit === "kB" ? `${Math.round(value)} kB` : `${value.toFixed(1)} ms`);
  const goal = r.goal === null ? "(figure)" : r.ratio === null ? `<= ${r.goal} ${unit}` : `<= ${r.goal}x`;
  console.log(
    `| ${r.name}${r.pairs === pairs ? "" : ` (${r.pairs} pairs)`} | ${amount(r.a)} | ${amount(r.b)} | ${r.ratio === null ? "" : `${r.ratio.toFixed(2)}x`} | ${spreadText(r)} | ${goal}${r.goal === null ? "" : r.ok ? " ok" : " MISSED"} |`,
  );
}
function spreadText(r) {
  if (!r.spread) return "";
  const [low, high] = r.spread;
  return r.ratio === null ? `${low.toFixed(0)}-${high.toFixed(0)} ms` : `${low.toFixed(2)}-${high.toFixed(2)}x`;
}
mkdirSync(join(root, "bench-results"), { recursive: true });
writeFileSync(join(root, "bench-results", "latest.json"), JSON.stringify({ machine, load: load1, underLoad, date: new Date().toISOString(), pairs, results }, null, 2));
