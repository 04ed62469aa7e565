// The one module that starts processes. Everything else asks it for a result.
//
// Processes start through execa (bundled into dist/vendor/execa.cjs and loaded on first use, see scripts/build.mjs).
// What execa does not do for us stays here: its `timeout` and `cleanup` kill only the direct child, and its
// `maxBuffer` kills the process when output overflows, while a verifier's whole process group must die and
// excess output must only be dropped.

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
  /** Called once the program has started: work to overlap with its run (e.g. loading what comes after). */
  whileRunning?: () => void;
}

export interface RunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** roadmap itself got Ctrl+C while the program ran; the program's tree was killed. */
  interrupted: boolean;
  /** Bytes of output dropped past maxOutputBytes. */
  droppedBytes: number;
  /** The process could not be started at all (e.g. the program does not exist). */
  startError?: string;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;

/**
 * Runs a program in a process group of its own, so that on a timeout (or when roadmap itself is interrupted)
 * the whole tree it started is killed, not only the direct child.
 */
export async function runProcess(request: RunRequest): Promise<RunResult> {
  const limit = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const kept = { stdout: "", stderr: "" };
  let droppedBytes = 0;
  let timedOut = false;
  let interrupted = false;

  const { execa } = await import("execa");
  const child = execa(request.file, request.args, {
    cwd: request.cwd,
    env: request.env,
    // The environment is exactly request.env: a variable left out of it must not come back from process.env.
    extendEnv: false,
    detached: true,
    stdin: "ignore",
    buffer: false,
    reject: false,
    cleanup: false,
  });
  request.whileRunning?.();
  const killTree = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  for (const name of ["stdout", "stderr"] as const) {
    child[name]?.setEncoding("utf8");
    child[name]?.on("data", (chunk: string) => {
      request.onOutput?.(chunk);
      const room = limit - kept[name].length;
      if (room > 0) kept[name] += chunk.slice(0, room);
      droppedBytes += Math.max(0, chunk.length - Math.max(room, 0));
    });
  }
  const timer = setTimeout(() => {
    timedOut = true;
    killTree();
  }, request.timeoutMs);
  // The child runs in its own process group, so the terminal's Ctrl+C reaches only roadmap: pass it on.
  const onInterrupt = () => {
    interrupted = true;
    killTree();
  };
  process.once("exit", killTree);
  process.once("SIGINT", onInterrupt);
  try {
    // NOTE: the direct child may exit while children it forked live on (and hold its output open); they belong to
    // the group: end them too once it exits, then read the output to its end (execa settles when it has).
    child.once("exit", killTree);
    const result = await child;
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      const cause = result.cause instanceof Error ? result.cause.message : result.shortMessage;
      return { exitCode: undefined, stdout: kept.stdout, stderr: kept.stderr, timedOut, interrupted, droppedBytes, startError: cause };
    }
    return { exitCode: result.exitCode, stdout: kept.stdout, stderr: kept.stderr, timedOut, interrupted, droppedBytes };
  } finally {
    clearTimeout(timer);
    process.removeListener("exit", killTree);
    process.removeListener("SIGINT", onInterrupt);
  }
}
