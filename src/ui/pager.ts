import { runOnTerminal } from "../verify/process.js";
import { runnableHere } from "./command.js";
import { print } from "./style.js";

/** The pager to use: $PAGER (empty or `cat` means none), else `less -R`, which keeps our colours. */
export function pagerCommand(env: NodeJS.ProcessEnv = process.env): string | null {
  const pager = env.PAGER ?? "less -R";
  return pager.trim() === "" || pager.trim() === "cat" ? null : pager;
}

/**
 * Prints long text through the user's pager when the output is a terminal and the text is taller than it; never when
 * piped or redirected. Like git, it sets LESS=FRX unless the user has a LESS of their own: less exits by itself when
 * the text fits (F), passes colours through (R) and leaves the text on the screen when it quits (X).
 */
export async function printPaged(text: string): Promise<void> {
  const pager = pagerCommand();
  const rows = process.stdout.rows || 0;
  // rows is 0 when the terminal does not say its size: then the pager (less -F) decides.
  if (!process.stdout.isTTY || !pager || (rows > 0 && text.split("\n").length < rows)) return print(text);
  if (!(await runPager(pager, runnableHere(text) + "\n"))) print(text);
}

/** Runs the pager on the text; false if it could not start (then the caller prints the text itself). */
async function runPager(pager: string, text: string): Promise<boolean> {
  // Ctrl+C in the pager reaches roadmap too (one process group): while the pager runs, it is the pager's to handle,
  // and roadmap must not exit under it and leave the terminal in its raw mode.
  const sigint = process.rawListeners("SIGINT");
  const ignore = () => {};
  process.removeAllListeners("SIGINT");
  process.on("SIGINT", ignore);
  try {
    return await runOnTerminal(pager, text, { ...process.env, LESS: process.env.LESS ?? "FRX" });
  } finally {
    process.removeListener("SIGINT", ignore);
    for (const listener of sigint) process.on("SIGINT", listener as () => void);
  }
}
