// The one error boundary: every command's failure becomes a message and an exit code here, and only here.
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

void main();
