// What the judge (python/roadmap_judge.py) says over its channel, and the verdict it adds up to. Pure: no process,
// no file; verify.ts feeds the lines in.
import { stripControl } from "../sanitize.js";

export type Outcome = "passed" | "failed" | "error" | "skipped";

export interface TestResult {
  /** The exercise folder the test file ran in (the first part of the pytest node id). */
  exercise: string;
  /** The pytest node id inside the exercise folder: `test_ledger.py::test_transfer[0]`; "" for a collection error. */
  id: string;
  /** What the learner sees: the test's name, or "collecting the tests" for a module that could not load. */
  name: string;
  outcome: Outcome;
  /** The README rules this test checks (its @pytest.mark.rule markers). */
  rules: string[];
  /** How long the test took, set-up and tear-down included. */
  seconds?: number;
  /** The assertion or error message, for failures, errors and skips. */
  message?: string;
  /** The longer report (traceback) pytest gave, bounded by the judge. */
  details?: string;
  /** Where a failure happened in the learner's code (or where their file does not parse); see FailureOrigin. */
  location?: SourceLocation;
  /** The line at `location`, without its indentation. */
  source?: string;
  /** A line of `^` under the part of `source` that failed, aligned with it. */
  caret?: string;
  /** The learner's own frames of the traceback, outermost first (pytest's, the verifier's and the stdlib's left out). */
  traceback?: TracebackFrame[];
  origin?: FailureOrigin;
  /** The exception's type name: `NameError`, `AssertionError`. */
  exception?: string;
  /** For a verifier's failing `assert actual == expected`: both values, as Python shows them. */
  expected?: string;
  actual?: string;
}

/**
 * "syntax": the learner's file does not parse; "learner": the failure happened inside the learner's code;
 * "verifier": the verifier's own check failed (a wrong return value), with no learner frame to point at.
 */
export type FailureOrigin = "syntax" | "learner" | "verifier";

/** A file and line. Paths are relative to the run's folder as the judge sends them; inWorkspace() maps them. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface TracebackFrame extends SourceLocation {
  function: string;
  source: string;
}

/** Everything the judge said during one pytest run. */
export interface JudgeReport {
  tests: TestResult[];
  /** Node ids pytest collected, per exercise, inside the exercise folder. */
  collected: Map<string, string[]>;
  /** The first sign of tampering: a tripwire, or a line on the channel that the judge did not write. */
  tampered?: string;
  /** The judge saw pytest's session end. Without it the run stopped early, and nothing it said is complete. */
  ended: boolean;
}

interface JudgeEvent {
  token?: unknown;
  event?: unknown;
  id?: unknown;
  ids?: unknown;
  outcome?: unknown;
  phase?: unknown;
  rules?: unknown;
  message?: unknown;
  details?: unknown;
  seconds?: unknown;
  what?: unknown;
  location?: unknown;
  source?: unknown;
  caret?: unknown;
  traceback?: unknown;
  origin?: unknown;
  exception?: unknown;
  expected?: unknown;
  actual?: unknown;
}

const OUTCOMES = new Set<string>(["passed", "failed", "error", "skipped"]);

/** Collects the judge's lines; a line without the run's token, or not the judge's JSON, marks the run tampered. */
export function judgeListener(token: string): { onLine: (line: string) => void; report: () => JudgeReport } {
  const report: JudgeReport = { tests: [], collected: new Map(), ended: false };
  const tamper = (what: string) => {
    report.tampered ??= what;
  };
  const onLine = (line: string) => {
    if (!line.trim()) return;
    let event: JudgeEvent;
    try {
      event = JSON.parse(line) as JudgeEvent;
    } catch {
      return tamper("something other than the judge wrote to the verifier's result channel");
    }
    if (event.token !== token) return tamper("something other than the judge wrote to the verifier's result channel");
    if (report.ended) return tamper("the result channel was written to after pytest's session ended");
    switch (event.event) {
      case "collected":
        for (const nodeId of Array.isArray(event.ids) ? event.ids : []) {
          const { exercise, id } = splitNodeId(String(nodeId));
          report.collected.set(exercise, [...(report.collected.get(exercise) ?? []), id]);
        }
        return;
      case "test":
        return void report.tests.push(toResult(event));
      case "tampered":
        return tamper(stripControl(String(event.what ?? "the verifier was tampered with")));
      case "end":
        report.ended = true;
        return;
    }
  };
  return { onLine, report: () => report };
}

function splitNodeId(nodeId: string): { exercise: string; id: string } {
  const slash = nodeId.indexOf("/");
  return slash < 0 ? { exercise: "", id: nodeId } : { exercise: nodeId.slice(0, slash), id: nodeId.slice(slash + 1) };
}

function toResult(event: JudgeEvent): TestResult {
  // Names and messages come from learner code (a parametrized id, an exception text): printable text only.
  const { exercise, id } = splitNodeId(stripControl(String(event.id ?? "")));
  const outcome = OUTCOMES.has(String(event.outcome)) ? (String(event.outcome) as Outcome) : "error";
  const collecting = event.phase === "collect";
  return {
    exercise,
    // A module that could not be collected is no test: it has no id (its file is in the message and details).
    id: collecting ? "" : id,
    name: collecting ? "collecting the tests" : id.slice(id.indexOf("::") + 2) || id,
    outcome,
    rules: Array.isArray(event.rules) ? event.rules.map((rule) => stripControl(String(rule))) : [],
    ...(typeof event.message === "string" ? { message: cleanMessage(stripControl(event.message)) } : {}),
    ...(typeof event.details === "string" && event.details ? { details: stripControl(event.details) } : {}),
    ...(typeof event.seconds === "number" && Number.isFinite(event.seconds) ? { seconds: event.seconds } : {}),
    ...failureFields(event),
  };
}

// The judge bounds these too; roadmap does again, since learner code runs in the judge's process.
const MAX_LINE = 240;
const MAX_FRAMES = 8;
const ORIGINS = new Set<string>(["syntax", "learner", "verifier"]);

function text(value: unknown, limit = MAX_LINE): string | undefined {
  if (typeof value !== "string") return undefined;
  const clean = stripControl(value).replace(/\n[\s\S]*$/, "");
  return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
}

function location(value: unknown): SourceLocation | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { file, line } = value as { file?: unknown; line?: unknown };
  const path = text(file);
  return path && typeof line === "number" && Number.isInteger(line) && line >= 0 ? { file: path, line } : undefined;
}

/** The judge's structured account of where a failure happened: each field kept only when well formed. */
function failureFields(event: JudgeEvent): Partial<TestResult> {
  const fields: Partial<TestResult> = {};
  const at = location(event.location);
  if (at) fields.location = at;
  const source = text(event.source);
  if (source) fields.source = source;
  const caret = text(event.caret, MAX_LINE + 1);
  if (source && caret && /^ *\^+$/.test(caret)) fields.caret = caret;
  if (Array.isArray(event.traceback)) {
    const frames = event.traceback.slice(-MAX_FRAMES).flatMap((frame: unknown): TracebackFrame[] => {
      const where = location(frame);
      if (!where) return [];
      const { function: name, source: line } = frame as { function?: unknown; source?: unknown };
      return [{ ...where, function: text(name, 100) ?? "?", source: text(line) ?? "" }];
    });
    if (frames.length) fields.traceback = frames;
  }
  if (typeof event.origin === "string" && ORIGINS.has(event.origin)) fields.origin = event.origin as FailureOrigin;
  const exception = text(event.exception, 100);
  if (exception) fields.exception = exception;
  const expected = text(event.expected);
  const actual = text(event.actual);
  if (expected !== undefined && actual !== undefined) Object.assign(fields, { expected, actual });
  return fields;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Paths as the learner knows them: the verifier ran in a temporary copy (`$TMPDIR/roadmap-verify-XXXX/<id>/`);
 * the learner's files are at `<stage>/<id>/` in the workspace. Maps every path in a result (its message, details,
 * location and frames). The judge already removed the temporary folder; anything that still names one loses it.
 * Applying it twice changes nothing.
 */
export function inWorkspace(test: TestResult, stageId: string): TestResult {
  const exercise = escapeRegExp(test.exercise);
  const temporary = /(?:[^\s"'(\[<>]*[/\\])?roadmap-verify-[A-Za-z0-9_]+[/\\]/g;
  const relative = new RegExp(`(^|[\\s"'(\\[<>=,:])${exercise}/`, "g");
  const map = (s: string) => (test.exercise ? s.replace(temporary, "").replace(relative, `$1${stageId}/${test.exercise}/`) : s.replace(temporary, ""));
  const mapped: TestResult = { ...test };
  if (test.message !== undefined) mapped.message = map(test.message);
  if (test.details !== undefined) mapped.details = map(test.details);
  if (test.location) mapped.location = { ...test.location, file: map(test.location.file) };
  if (test.traceback) mapped.traceback = test.traceback.map((frame) => ({ ...frame, file: map(frame.file) }));
  return mapped;
}

/** pytest prefixes assertion messages with the exception type (pytest.fail's with "Failed: ") and appends the failed expression. */
export function cleanMessage(message: string): string {
  const firstBlock = message.split("\nassert ")[0]!;
  return firstBlock.replace(/^(?:AssertionError|Failed): /, "").trim();
}

export type ExerciseOutcome = "passed" | "failed" | "skipped" | "tampered";

/**
 * One exercise's verdict from a complete judge report: it passes only when exactly the expected tests ran and
 * passed. `expected` is the set dev check recorded for the exercise; without one, every collected test counts.
 */
export function exerciseOutcome(
  exerciseId: string,
  report: JudgeReport,
  expected?: readonly string[],
): { outcome: ExerciseOutcome; tests: TestResult[]; reason?: string } {
  const ran = report.tests.filter((t) => t.exercise === exerciseId);
  if (report.tampered) return { outcome: "tampered", tests: ran, reason: report.tampered };
  const wanted = expected ?? report.collected.get(exerciseId) ?? [];
  const unexpected = expected ? ran.filter((t) => t.name !== "collecting the tests" && !expected.includes(t.id)) : [];
  if (unexpected.length) {
    return { outcome: "tampered", tests: ran, reason: `a check that is not part of this verifier ran: ${unexpected[0]!.id}` };
  }
  const seen = new Set(ran.map((t) => t.id));
  const missing: TestResult[] = wanted
    .filter((id) => !seen.has(id))
    .map((id) => ({ exercise: exerciseId, id, name: id.slice(id.indexOf("::") + 2) || id, outcome: "failed", rules: [], message: "this check did not run" }));
  const tests = [...ran, ...(ran.some((t) => t.name === "collecting the tests") ? [] : missing)];
  const outcomes = new Set(tests.map((t) => t.outcome));
  if (tests.length === 0 || outcomes.has("failed") || outcomes.has("error")) return { outcome: "failed", tests };
  return { outcome: outcomes.has("skipped") ? "skipped" : "passed", tests };
}
