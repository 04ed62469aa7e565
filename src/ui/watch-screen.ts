// What `roadmap watch` shows. On a terminal the whole screen is redrawn after every event (a save, a verdict, a key),
// so the learner always sees one current picture: the exercise, how far along they are, the latest verdict, the
// keys. In a pipe it is appended as plain text, never with a terminal control sequence.
import { percent, progressBar } from "./format.js";
import { plain, style } from "./style.js";

export interface WatchScreen {
  exercise: { id: string; title: string };
  /** Where the learner edits: the exercise folder, relative to the workspace (or absolute outside it). */
  folder: string;
  files: string[];
  stage: { title: string; passed: number; total: number };
  /** Share of the whole roadmap done, as `roadmap status` counts it. */
  overall: number;
  /** "checking" while a verifier runs; the verdict's lines once it is done. */
  verdict: { state: "waiting" } | { state: "checking"; run: number } | { state: "done"; run: number; at: Date; lines: string[]; passed: boolean };
  /** A line said once above the verdict ("Recorded: x passes."), until the next event replaces it. */
  notice?: string;
  /** After a failure: how to get the next hint (see `hintPointer`). */
  hint?: string[];
  /** A hint the learner asked for with the h key. */
  shownHint?: string[];
}

export const KEYS = "Keys: h hint · r re-check · n next exercise · q quit";

/** Clears the screen and the scroll-back, and puts the cursor top left. */
export const CLEAR = "\x1b[2J\x1b[3J\x1b[H";

/** The screen's lines; with `rows`, the verdict is cut so that the keys stay on the screen. */
export function renderWatchScreen(screen: WatchScreen, rows?: number): string[] {
  const head = [
    style.bold(`Watching ${screen.exercise.id}: ${screen.exercise.title}`),
    style.dim(`Edit ${screen.files.join(", ")} in ${screen.folder} and save.`),
    `Stage   ${progressBar(screen.stage.total ? screen.stage.passed / screen.stage.total : 1, 20)} ${screen.stage.passed}/${screen.stage.total} exercises of ${screen.stage.title}`,
    `Overall ${progressBar(screen.overall, 20)} ${percent(screen.overall)} of the roadmap`,
    "",
  ];
  if (screen.notice) head.push(screen.notice, "");
  let body: string[];
  const { verdict } = screen;
  if (verdict.state === "waiting") body = [style.dim("Waiting for a save ...")];
  else if (verdict.state === "checking") body = [style.dim(`Check ${verdict.run}: running the verifier ...`)];
  else body = [style.dim(`Check ${verdict.run} at ${clock(verdict.at)}:`), ...verdict.lines];
  const tail = [...(screen.shownHint ? ["", ...screen.shownHint] : []), ...(screen.hint ? ["", ...screen.hint] : []), "", style.dim(KEYS)];
  if (rows && head.length + body.length + tail.length > rows) {
    const room = Math.max(2, rows - head.length - tail.length - 1);
    const cut = body.length - room;
    body = [...body.slice(0, room), style.dim(`... ${cut} more line${cut === 1 ? "" : "s"}: roadmap check ${screen.exercise.id} shows them all`)];
  }
  return [...head, ...body, ...tail];
}

/** The lines to write for one redraw: on a terminal the screen is cleared first; in a pipe a rule separates redraws. */
export function frame(lines: string[], terminal: boolean): string {
  return terminal ? CLEAR + lines.join("\n") + "\n" : `\n${plain ? "-".repeat(40) : style.dim("─".repeat(40))}\n${lines.join("\n")}\n`;
}

/**
 * What to do after a failure: the command that shows the next hint, and the hint aimed at the first failing rule
 * when the content maps one.
 */
export function hintPointer(exerciseId: string, hints: number, used: number, aimed?: { index: number; rule: string }): string[] {
  if (hints === 0) return [];
  const lines: string[] = [];
  if (aimed && aimed.index >= used) {
    lines.push(`A hint aimed at rule ${aimed.rule} (hint ${aimed.index + 1}/${hints}): press h`);
  }
  if (used < hints) lines.push(`Stuck? The next hint: roadmap hint ${exerciseId}${aimed && aimed.index >= used ? "" : "   (or press h)"}`);
  else lines.push(`All ${hints} hints seen; read them again: roadmap hint ${exerciseId}`);
  return lines.map((line) => style.dim(line));
}

function clock(at: Date): string {
  return at.toTimeString().slice(0, 8);
}
