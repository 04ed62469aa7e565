// The one module that starts processes. Everything else asks it for a result.
//
// Processes start through execa (bundled into dist/vendor/execa.cjs and loaded on first use, see scripts/build.mjs).
// What execa does not do for us stays here: its `timeout` and `cleanup` kill only the direct child, and its
// `maxBuffer` kills the process when output overflows, while a verifier's whole process group must die and
// excess output must only be dropped.
//
// Every program also ends with roadmap, however roadmap ends:
// - Ctrl+C, SIGTERM, SIGHUP (a closed terminal): the handlers here kill its process group, then roadmap stops;
// - SIGKILL: nothing in roadmap runs, so the program must notice by itself: it gets a lifeline, an inherited pipe
//   (fd 4, ROADMAP_LIFELINE_FD) that roadmap never writes, which reads end-of-file once roadmap is gone (the
//   verifier's judge, python/roadmap_judge.py, watches it and ends the run);
// - a descendant that left the process group (setsid) is still found by ROADMAP_RUN_MARKER, an environment
//   variable every descendant inherits, through /proc (Linux; elsewhere only the group is ended).
// A long-lived server (`startServer`: the fork server of dev check and dev mutate) gets the same group, marker,
// lifeline, channel and handlers as a run; it notices roadmap's end as end-of-file on its requests.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

export interface RunRequest {
  file: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Output kept in memory, per stream; the rest is counted and dropped. */
  maxOutputBytes?: number;
  /** Called with each chunk of output as it arrives (for live progress). */
  onOutput?: (chunk: string) => void;
  /** Called with each line the program writes to fd 3 (ROADMAP_CHANNEL_FD): a result channel beside its output. */
  onChannelLine?: (line: string) => void;
  /** Called once the program has started: work to overlap with its run (e.g. loading what comes after). */
  whileRunning?: () => void;
  /** Called when roadmap exits or is stopped by a signal while the program runs, after the program was killed. */
  onAbort?: () => void;
}

export interface RunResult {
  exitCode: number | undefined;
  /** The signal that ended the program, when one did (a crash, or our own kill). */
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** roadmap itself got Ctrl+C while the program ran; the program's tree was killed. */
  interrupted: boolean;
  /** Bytes of output dropped past maxOutputBytes. */
  droppedBytes: number;
  /** The process could not be started at all (e.g. the program does not exist). */
  startError?: string;
  /** This run's ROADMAP_RUN_MARKER: `killMarked(marker)` ends whatever of it is left, wherever it went. */
  marker: string;
  /** Ended by roadmap once `complete()` said so (its exit code and signal are then roadmap's doing). */
  endedEarly?: boolean;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const CHANNEL_FD = 3;
const LIFELINE_FD = 4;
/** Beyond this, a channel line is cut (the judge bounds its own lines far below it). */
const MAX_CHANNEL_LINE = 64 * 1024;

/**
 * Runs a program in a process group of its own, so that on a timeout (or when roadmap itself is interrupted)
 * the whole tree it started is killed, not only the direct child.
 */
export async function runProcess(request: RunRequest): Promise<RunResult> {
  return (await startProcess(request)).run(request);
}

/** A started program: `run` lets it go (the timeout counts from then); `discard` ends it unused. */
export interface StartedProcess {
  run(go: RunSteps): Promise<RunResult>;
  discard(): void;
  /** Still running: a program that died while it waited (killed, out of memory) must not be given a run. */
  alive(): boolean;
}

/** What a run adds once the program is started: its stdin (else closed), its timeout and callbacks. */
export interface RunSteps extends Pick<RunRequest, "timeoutMs" | "onChannelLine" | "onOutput" | "whileRunning" | "onAbort"> {
  input?: string;
  /**
   * Asked after each channel line: true once the lines say all there is to know. The program's process group is
   * then ended at once instead of waiting for its own exit (pytest's teardown after the judge's last line); the
   * result says `endedEarly`, and output after that line is lost.
   */
  complete?: () => boolean;
}

/** A program to start: `channel` opens fd 3 before `run` names who reads it. */
export type StartRequest = Omit<RunRequest, keyof RunSteps> & Partial<RunSteps> & { waitsForInput?: boolean; channel?: boolean };

/**
 * Starts a program without letting its run begin: a warm verifier (src/verify/warm.ts) imports what it needs and
 * waits for its run on stdin. Until `run`, it does not keep roadmap alive, and it dies with roadmap like any run.
 * With `waitsForInput` its stdin is a pipe that `run` writes; otherwise stdin is closed.
 */
export async function startProcess(request: StartRequest): Promise<StartedProcess> {
  const limit = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const kept = { stdout: "", stderr: "" };
  let droppedBytes = 0;
  let timedOut = false;
  const channel = Boolean(request.onChannelLine || request.channel);
  let steps: Partial<RunSteps> = request;
  const { child, marker, killGroup, killTree, closeLifeline, interrupted, release } = await spawnDetached(
    request,
    { stdin: Boolean(request.waitsForInput), channel },
    () => steps.onAbort?.(),
  );
  for (const name of ["stdout", "stderr"] as const) {
    child[name]?.setEncoding("utf8");
    child[name]?.on("data", (chunk: string) => {
      steps.onOutput?.(chunk);
      const room = limit - kept[name].length;
      if (room > 0) kept[name] += chunk.slice(0, room);
      droppedBytes += Math.max(0, chunk.length - Math.max(room, 0));
    });
  }
  let endedEarly = false;
  if (channel) {
    readLines(child.stdio[CHANNEL_FD] as NodeJS.ReadableStream, (line) => {
      steps.onChannelLine?.(line);
      if (!endedEarly && steps.complete?.()) {
        endedEarly = true;
        killGroup();
      }
    });
  }
  // NOTE: the direct child may exit while children it forked live on (and hold its output open); they belong to
  // the group: end them too once it exits, then read the output to its end (execa settles when it has).
  child.once("exit", killGroup);
  const handles = () => [child, ...child.stdio] as ({ ref?(): void; unref?(): void } | null | undefined)[];
  if (request.waitsForInput) for (const handle of handles()) handle?.unref?.();

  return {
    async run(go) {
      steps = go;
      for (const handle of handles()) handle?.ref?.();
      // A program that exits before reading its input closes the pipe under us: its run then ends as it would.
      child.stdin?.on("error", () => {});
      if (request.waitsForInput) child.stdin?.end(go.input ?? "");
      go.whileRunning?.();
      const timer = setTimeout(() => {
        timedOut = true;
        killTree();
      }, go.timeoutMs);
      try {
        const result = await child;
        if (result.failed && result.exitCode === undefined && result.signal === undefined) {
          const cause = result.cause instanceof Error ? result.cause.message : result.shortMessage;
          return { exitCode: undefined, stdout: kept.stdout, stderr: kept.stderr, timedOut, interrupted: interrupted(), droppedBytes, startError: cause, marker };
        }
        return { exitCode: result.exitCode, signal: result.signal, stdout: kept.stdout, stderr: kept.stderr, timedOut, interrupted: interrupted(), droppedBytes, marker, endedEarly };
      } finally {
        clearTimeout(timer);
        release();
        // The lifeline's end in roadmap: closed only now, so the program never sees it end while roadmap waits for it.
        closeLifeline();
      }
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    discard() {
      killTree();
      release();
      closeLifeline();
    },
  };
}

/** A long-lived program that takes requests on stdin, a line each, and answers on fd 3 (the fork server). */
export interface ServerRequest extends Pick<RunRequest, "file" | "args" | "cwd" | "env" | "onAbort"> {
  /** Each line the program or a child of it writes to fd 3 (ROADMAP_CHANNEL_FD). */
  onChannelLine: (line: string) => void;
  /** The program is gone: it exited, was ended, or roadmap was interrupted (Ctrl+C) or is exiting. */
  onEnd: (end: { interrupted: boolean }) => void;
}

export interface Server {
  send(line: string): void;
  /** Ends it when it serves nothing: its input closes and its process group is killed. */
  end(): void;
  /** Ends it and whatever it started that still runs (its children left its process group: found by the marker). */
  kill(): void;
}

/** Starts a server program with a run's outside guarantees: own group, marker, lifeline, channel, killed with roadmap. */
export async function startServer(request: ServerRequest): Promise<Server> {
  const { child, killGroup, killTree, closeLifeline, interrupted, release } = await spawnDetached(request, { stdin: true, channel: true }, () =>
    request.onAbort?.(),
  );
  // Its runs write their output to files (python/roadmap_forkserver.py); what it prints itself is not kept: a
  // server that fails to start only makes its runs cold, and a cold run reports its own errors.
  child.stdout?.resume();
  child.stderr?.resume();
  readLines(child.stdio[CHANNEL_FD] as NodeJS.ReadableStream, request.onChannelLine);
  child.stdin?.on("error", () => {});
  void child.then(() => {
    release();
    closeLifeline();
    request.onEnd({ interrupted: interrupted() });
  });
  return {
    send: (line) => void child.stdin?.write(`${line}\n`),
    end: () => {
      child.stdin?.end();
      killGroup();
    },
    kill: killTree,
  };
}

/**
 * A program started in a session and process group of its own, with the marker, lifeline and channel set up, and
 * ended by the process-wide handlers until `release` (then `onAbort` runs when roadmap exits or is terminated).
 */
async function spawnDetached(request: Pick<RunRequest, "file" | "args" | "cwd" | "env">, pipes: { stdin: boolean; channel: boolean }, onAbort: () => void) {
  const marker = randomBytes(12).toString("hex");
  const { execa } = await import("execa");
  const child = execa(request.file, request.args, {
    cwd: request.cwd,
    env: { ...request.env, ...runVariables(marker, pipes.channel) },
    // The environment is exactly the one above: a variable left out of it must not come back from process.env.
    extendEnv: false,
    detached: true,
    stdio: [pipes.stdin ? "pipe" : "ignore", "pipe", "pipe", pipes.channel ? "pipe" : "ignore", "pipe"],
    buffer: false,
    reject: false,
    cleanup: false,
  });
  // The group is one syscall; the marker search reads every process's environment (tens of ms on a busy machine),
  // so it runs only where a run ends abnormally. A run that ends normally has no escaped child left: the judge
  // (python/roadmap_judge.py) is a child subreaper and ends its descendants at the end of the session.
  const killGroup = () => {
    if (child.pid !== undefined) killProcessGroup(child.pid);
  };
  const killTree = () => {
    killGroup();
    killMarked(marker);
  };
  const closeLifeline = () => (child.stdio[LIFELINE_FD] as { destroy(): void } | null | undefined)?.destroy();
  let interrupted = false;
  const running: Running = {
    // The child runs in its own process group, so the terminal's Ctrl+C reaches only roadmap: pass it on.
    interrupt: () => {
      interrupted = true;
      killTree();
    },
    abort: () => {
      killTree();
      onAbort();
    },
  };
  attach(running);
  return { child, marker, killGroup, killTree, closeLifeline, interrupted: () => interrupted, release: () => detach(running) };
}

/**
 * Runs a shell command on roadmap's terminal (the user's pager), with `input` on its stdin. Not detached: it is in
 * roadmap's process group, so it gets the terminal's keys and roadmap waits for it. false when it could not start
 * (the shell missing, or exit 127: the shell found no such command).
 */
export async function runOnTerminal(command: string, input: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const { execa } = await import("execa");
  // Quitting the pager before the end of its input is no failure: reject: false, and only a start counts.
  const result = await execa(command, { shell: true, input, stdout: "inherit", stderr: "inherit", env, reject: false });
  const started = result.exitCode !== undefined || result.signal !== undefined;
  return started && result.exitCode !== 127;
}

/** What a run's process learns from its environment: its marker, and where its lifeline and channel are. */
export function runVariables(marker: string, channel: boolean): Record<string, string> {
  return {
    ROADMAP_RUN_MARKER: marker,
    ROADMAP_LIFELINE_FD: String(LIFELINE_FD),
    ...(channel ? { ROADMAP_CHANNEL_FD: String(CHANNEL_FD) } : {}),
  };
}

/** Kills a process group (its leader's pid), if it is still there. */
export function killProcessGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** A program running now, as the process-wide signal handlers see it. */
interface Running {
  /** Ctrl+C: stop the program; roadmap then reports "interrupted". */
  interrupt: () => void;
  /** roadmap is exiting or terminated: stop the program and clean up after it. */
  abort: () => void;
}

// One set of process listeners for every program running at once (dev check runs many): listeners per run would
// pile up past Node's limit of 10 and print a warning.
const running = new Set<Running>();
const onSigint = () => running.forEach((run) => run.interrupt());
// roadmap may exit while programs run (main.ts leaves at once on Ctrl+C): end them and clean up first.
const onExit = () => running.forEach((run) => run.abort());
// SIGTERM and SIGHUP would end roadmap at once with the programs still running: end them first, then roadmap.
const onTerminate = (signal: NodeJS.Signals) => {
  running.forEach((run) => run.abort());
  running.clear();
  listen(false);
  process.kill(process.pid, signal);
};

function listen(on: boolean): void {
  const method = on ? "on" : "removeListener";
  process[method]("exit", onExit);
  process[method]("SIGINT", onSigint);
  process[method]("SIGTERM", onTerminate);
  process[method]("SIGHUP", onTerminate);
}

function attach(run: Running): void {
  if (running.size === 0) listen(true);
  running.add(run);
}

function detach(run: Running): void {
  if (running.delete(run) && running.size === 0) listen(false);
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    if (partial.length > MAX_CHANNEL_LINE) partial = partial.slice(0, MAX_CHANNEL_LINE);
    for (const line of lines) onLine(line.slice(0, MAX_CHANNEL_LINE));
  });
  stream.on("end", () => {
    if (partial) onLine(partial);
  });
}

/** Kills every process whose environment holds this run's marker: those that left the process group too. */
export function killMarked(marker: string): void {
  if (process.platform !== "linux") return;
  const needle = `ROADMAP_RUN_MARKER=${marker}`;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(needle)) process.kill(Number(pid), "SIGKILL");
    } catch {
      // Gone, or not ours to read.
    }
  }
}
