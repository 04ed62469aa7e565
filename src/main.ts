// The one error boundary: every command's failure becomes a message and an exit code here, and only here.
import { tmpdir } from "node:os";
import { buildProgram } from "./cli.js";
import { ExitCode, ExitError, UserError } from "./errors.js";
import { loadColours, printError } from "./ui/style.js";

async function main(): Promise<void> {
  // Ctrl+C outside a prompt (the prompt library handles its own): leave quietly with 130. Verifier process trees
  // are killed by their own exit hook (src/verify/process.ts); progress is only ever written whole.
  process.on("SIGINT", () => process.exit(ExitCode.interrupted));
  // A closed pipe (`roadmap status | head`) is the reader's choice, not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(ExitCode.ok);
    throw error;
  });
  try {
    await loadColours();
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    process.exitCode = await reportError(error);
    if (process.exitCode === ExitCode.interrupted) process.exit(ExitCode.interrupted);
  }
}

async function reportError(error: unknown): Promise<number> {
  if (error instanceof ExitError) return error.exitCode;
  if (error instanceof UserError) {
    const { style } = await import("./ui/style.js");
    const lines = error.message.split("\n");
    for (const line of lines) printError(`${style.red("error")} ${line}`);
    if (error.hint) printError(style.dim(error.hint));
    return error.exitCode;
  }
  const filesystem = describeFilesystemError(error);
  if (filesystem) {
    const { style } = await import("./ui/style.js");
    printError(`${style.red("error")} ${filesystem.message}`);
    printError(style.dim(filesystem.hint));
    return ExitCode.usage;
  }
  const err = error as { name?: string; code?: string; exitCode?: number };
  // Ctrl+C in a prompt: leave quietly; nothing was saved half-way.
  if (err?.name === "ExitPromptError" || err?.name === "AbortPromptError") return ExitCode.interrupted;
  // commander already printed its usage message; --help and --version exit 0.
  if (typeof err?.code === "string" && err.code.startsWith("commander.")) {
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  printError("roadmap hit a bug. Please report it with the lines below:");
  printError(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return 70;
}

const FILESYSTEM_FIXES: Record<string, { what: string; fix: string }> = {
  ENOSPC: { what: "the disk is full", fix: "Free some space on that disk, then run the command again." },
  EDQUOT: { what: "your disk quota is used up", fix: "Free some space in your quota, then run the command again." },
  EROFS: { what: "the file system is read-only", fix: "Work in a folder on a writable disk." },
  EACCES: { what: "permission denied", fix: "Make it writable by you (check its owner and permissions)." },
  EPERM: { what: "operation not permitted", fix: "Make it writable by you (check its owner and permissions)." },
};

/**
 * A file system refusal the user can fix (disk full, read-only, no permission) is one line naming the path and the
 * fix, not a bug. Writes are atomic, so the progress file is as it was.
 */
function describeFilesystemError(error: unknown): { message: string; hint: string } | undefined {
  const { code, path, dest } = (error ?? {}) as { code?: unknown; path?: unknown; dest?: unknown };
  const known = typeof code === "string" ? FILESYSTEM_FIXES[code] : undefined;
  if (!known) return undefined;
  const where = typeof dest === "string" ? dest : typeof path === "string" ? path : undefined;
  const inUserFolders = where !== undefined && /[\\/]\.(?:config|cache)[\\/]python-backend-roadmap/.test(where);
  const inTmp = where !== undefined && where.startsWith(tmpdir());
  const place = inUserFolders
    ? " Or point XDG_CONFIG_HOME and XDG_CACHE_HOME to writable folders."
    : inTmp
      ? " Or point TMPDIR to a writable folder: TMPDIR=~/tmp roadmap ..."
      : "";
  return { message: `cannot use ${where ?? "a file"}: ${known.what} (${code}).`, hint: `${known.fix}${place}` };
}

void main();
