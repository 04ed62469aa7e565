// The fork servers of `roadmap dev check` and `roadmap dev mutate` (python/roadmap_forkserver.py): one Python
// process per exercise imports pytest and the exercise's frameworks once, then forks a fresh child for each of that
// exercise's runs, so hundreds of runs do not each pay for Python's start and those imports. A child is what a cold
// run would be from then on (its own session, the run's environment, folder and arguments, marker and lifeline),
// but it shares its server's result channel with the runs before it: authoring runs of the tool's own solutions use
// it; a learner's check and watch never do (a fresh channel per run is one of the judge's guarantees there).
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import type { Exercise } from "../content/model.js";
import { killMarked, killProcessGroup, runVariables, startServer, type RunResult, type RunSteps, type Server } from "./process.js";
import { preloadEnv, runEnv, verifierEnv, type PreparedRun, type RunnerOfPrepared } from "./verify.js";

/** A run being served: what runVerifiers asked for and what is known of it so far. */
interface Serving {
  steps: RunSteps;
  marker: string;
  stdout: string;
  stderr: string;
  pid?: number;
  timedOut: boolean;
  endedEarly: boolean;
  finish: (result: RunResult) => void;
}

interface ForkServer {
  key: string;
  server: Promise<Server>;
  /** Whether it can serve: false when it died while importing, or runs more than one thread (a fork copies one). */
  ready: Promise<boolean>;
  serving?: Serving;
  alive: boolean;
}

const MAX_OUTPUT = 1024 * 1024;

/** Fork servers for authoring runs, one per exercise at a time per parallel job; `close` ends them all. */
export class ForkServers implements RunnerOfPrepared {
  private readonly idle: ForkServer[] = [];
  private readonly all = new Set<ForkServer>();
  /** Exercises whose server could not serve (it started a thread while importing, or died): their runs stay cold. */
  private readonly cold = new Set<string>();

  constructor(
    private readonly python: string,
    private readonly pluginDir: string,
    /** Idle servers kept for later runs of their exercise (one per parallel job is enough). */
    private readonly keep: number,
  ) {}

  /** Runs a prepared single-exercise run in a forked child; undefined when it must run cold instead. */
  async run(prepared: PreparedRun, steps: RunSteps): Promise<RunResult | undefined> {
    const [exercise] = prepared.exercises;
    if (prepared.exercises.length !== 1 || !exercise || this.cold.has(exercise.dir)) return undefined;
    const fork = this.take(exercise);
    if (!(await fork.ready)) {
      this.discard(fork);
      this.cold.add(exercise.dir);
      return undefined;
    }
    try {
      return await this.serve(fork, prepared, steps);
    } finally {
      if (fork.alive) this.idle.push(fork);
      while (this.idle.length > this.keep) this.discard(this.idle.shift()!);
    }
  }

  /** Ends every server and what they still run. */
  close(): void {
    for (const fork of this.all) this.discard(fork);
  }

  private take(exercise: Exercise): ForkServer {
    const index = this.idle.findIndex((fork) => fork.key === exercise.dir && fork.alive);
    return index >= 0 ? this.idle.splice(index, 1)[0]! : this.start(exercise);
  }

  private discard(fork: ForkServer): void {
    const busy = fork.serving !== undefined;
    fork.alive = false;
    this.all.delete(fork);
    const index = this.idle.indexOf(fork);
    if (index >= 0) this.idle.splice(index, 1);
    void fork.server.then((server) => (busy ? server.kill() : server.end()), () => {});
  }

  private start(exercise: Exercise): ForkServer {
    const token = randomBytes(16).toString("hex");
    let ready!: (usable: boolean) => void;
    const answer = (line: string) => {
      const [what, ...values] = line.slice(token.length + 1).split(" ");
      const serving = fork.serving;
      if (what === "ready") ready(values[0] === "1");
      else if (what === "started" && serving) {
        serving.pid = Number(values[0]);
        if (serving.timedOut || serving.endedEarly) endChild(serving);
      } else if (what === "exited" && serving && serving.pid === Number(values[0])) {
        const code = Number(values[1]);
        serving.finish(result(serving, code >= 0 ? { exitCode: code } : { exitCode: undefined, signal: signalName(-code) }));
      }
    };
    const server = startServer({
      file: this.python,
      args: ["-s", "-m", "roadmap_forkserver"],
      // Its folder is the first entry of sys.path while it imports: the tool's own plugins folder adds nothing.
      cwd: this.pluginDir,
      env: {
        ...verifierEnv(process.env, this.pluginDir),
        ROADMAP_FORK_TOKEN: token,
        ROADMAP_FORK_TESTS: join(exercise.dir, "tests"),
        ...preloadEnv(exercise),
      },
      onChannelLine: (line) => {
        if (line.startsWith(`${token} `)) return answer(line);
        const serving = fork.serving;
        if (!serving) return;
        serving.steps.onChannelLine?.(line);
        if (!serving.endedEarly && serving.steps.complete?.()) {
          serving.endedEarly = true;
          endChild(serving);
        }
      },
      onAbort: () => fork.serving?.steps.onAbort?.(),
      onEnd: ({ interrupted }) => {
        fork.alive = false;
        ready(false);
        const serving = fork.serving;
        if (serving) serving.finish({ ...result(serving, { exitCode: undefined, signal: "SIGKILL" }), interrupted });
      },
    });
    server.catch(() => ready(false));
    // The callbacks above run once the server answers, by when `fork` is set.
    const fork: ForkServer = { key: exercise.dir, server, ready: new Promise((resolve) => (ready = resolve)), alive: true };
    this.all.add(fork);
    return fork;
  }

  private async serve(fork: ForkServer, prepared: PreparedRun, steps: RunSteps): Promise<RunResult | undefined> {
    const server = await fork.server;
    // It died since it was ready (nothing runs between this check and the request below): the run goes cold.
    if (!fork.alive) return undefined;
    const marker = randomBytes(12).toString("hex");
    return new Promise<RunResult>((resolve) => {
      const timer = setTimeout(() => {
        serving.timedOut = true;
        endChild(serving);
      }, steps.timeoutMs);
      const serving: Serving = {
        steps,
        marker,
        stdout: join(prepared.stage, ".stdout"),
        stderr: join(prepared.stage, ".stderr"),
        timedOut: false,
        endedEarly: false,
        finish: (outcome) => {
          clearTimeout(timer);
          fork.serving = undefined;
          resolve(outcome);
        },
      };
      fork.serving = serving;
      server.send(
        JSON.stringify({
          cwd: prepared.stage,
          args: prepared.args,
          // What a cold run's process gets: the server's descriptors (it inherits them), a marker of its own.
          env: { ...runEnv(prepared, this.pluginDir), ...runVariables(marker, true) },
          stdout: serving.stdout,
          stderr: serving.stderr,
        }),
      );
      steps.whileRunning?.();
    });
  }
}

/** Ends a served child's session and whatever of it left the session (found by its marker). */
function endChild(serving: Serving): void {
  if (serving.pid === undefined) return;
  killProcessGroup(serving.pid);
  if (serving.timedOut) killMarked(serving.marker);
}

function result(serving: Serving, end: Pick<RunResult, "exitCode" | "signal">): RunResult {
  const stdout = readBounded(serving.stdout);
  const stderr = readBounded(serving.stderr);
  return {
    ...end,
    stdout: stdout.text,
    stderr: stderr.text,
    droppedBytes: stdout.dropped + stderr.dropped,
    timedOut: serving.timedOut,
    interrupted: false,
    marker: serving.marker,
    endedEarly: serving.endedEarly,
  };
}

function readBounded(path: string): { text: string; dropped: number } {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = statSync(path).size;
    const buffer = Buffer.alloc(Math.min(size, MAX_OUTPUT));
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return { text: buffer.subarray(0, read).toString("utf8"), dropped: size - read };
  } catch {
    return { text: "", dropped: 0 };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const signalName = (number: number) => Object.entries(constants.signals).find(([, n]) => n === number)?.[0] ?? `signal ${number}`;
