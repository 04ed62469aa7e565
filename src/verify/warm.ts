// The warm path of `roadmap watch`: after each check, the next check's verifier starts at once, exactly as a cold
// run would (same arguments, environment, result channel, lifeline and process group) in a run folder of its own
// that holds the tool's tests but not yet the learner's files. pytest configures itself, loads the judge, imports
// what the tests import and rewrites their asserts, then waits before collecting (python/roadmap_warm.py). A save
// copies the learner's files in and lets it go: it pays for collecting and running the tests, not for starting.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Exercise } from "../content/model.js";
import { startProcess } from "./process.js";
import { preloadEnv, prepareRun, runEnv, type WarmRun } from "./verify.js";

interface Spare {
  key: string;
  stage: string;
  /** Where the run writes what it imported after its go (python/roadmap_warm.py). */
  learned: string;
  run: Promise<WarmRun>;
}

let spare: Spare | undefined;
/** The spare handed to the last check: what its run imported is read when the next spare starts. */
let lastUsed: Pick<Spare, "key" | "learned"> | undefined;
/** Per exercise and Python: modules runs imported late (pydantic's and anyio's submodules, ...), for spares to import ahead. */
const learnedImports = new Map<string, Set<string>>();

const keyOf = (python: string, exercise: Exercise) => `${python}\0${exercise.dir}`;

/** The warm run prepared for this exercise and Python, if there is one and it still runs; any other is ended. */
export async function takeWarmVerifier(python: string, exercise: Exercise): Promise<WarmRun | undefined> {
  const taken = spare;
  spare = undefined;
  if (!taken) return undefined;
  const warm = await taken.run.catch(() => undefined);
  if (warm?.process.alive() && taken.key === keyOf(python, exercise)) {
    lastUsed = taken;
    return warm;
  }
  end(taken, warm);
  return undefined;
}

/** Adds what the last used spare's run imported late to what the next spare of that exercise imports ahead. */
function learnFromLastRun(): void {
  if (!lastUsed) return;
  const { key, learned } = lastUsed;
  lastUsed = undefined;
  try {
    const names = readFileSync(learned, "utf8").split("\n").filter(Boolean);
    const known = learnedImports.get(key) ?? new Set<string>();
    for (const name of names.slice(0, MAX_LEARNED)) known.add(name);
    learnedImports.set(key, known);
  } catch {
    // The run wrote nothing (it failed before its tests ran, or was stopped).
  } finally {
    rmSync(learned, { force: true });
  }
}

// A bound on names taken from one run: the file is written inside the learner's process.
const MAX_LEARNED = 2000;

/** Starts the verifier process for the next check of this exercise (ending any other spare). */
export function prepareWarmVerifier(python: string, pluginDir: string, exercise: Exercise): void {
  learnFromLastRun();
  discardWarmVerifier();
  const key = keyOf(python, exercise);
  const prepared = prepareRun([exercise], {}, ["roadmap_warm"]);
  const learned = join(tmpdir(), `roadmap-warm-${randomBytes(6).toString("hex")}.txt`);
  const started = startProcess({
    file: python,
    args: ["-s", "-m", "pytest", ...prepared.args],
    cwd: prepared.stage,
    env: {
      ...runEnv(prepared, pluginDir),
      ...preloadEnv(exercise),
      ROADMAP_PRELOAD_IMPORTS: [...(learnedImports.get(key) ?? [])].join(","),
      ROADMAP_WARM_LEARNED: learned,
    },
    waitsForInput: true,
    channel: true,
  });
  spare = { key, stage: prepared.stage, learned, run: started.then((process) => ({ prepared, process })) };
}

/** Ends the waiting verifier process, if any, and forgets what runs imported (watch does when it stops). */
export function discardWarmVerifier(): void {
  if (lastUsed) rmSync(lastUsed.learned, { force: true });
  lastUsed = undefined;
  const discarded = spare;
  spare = undefined;
  if (discarded) void discarded.run.then((warm) => end(discarded, warm), () => end(discarded, undefined));
}

function end(unused: Spare, warm: WarmRun | undefined): void {
  warm?.process.discard();
  rmSync(unused.stage, { recursive: true, force: true });
  rmSync(unused.learned, { force: true });
}
