import { XMLParser } from "fast-xml-parser";

export type Outcome = "passed" | "failed" | "error" | "skipped";

export interface TestResult {
  /** The exercise folder the test file ran in (the first part of the pytest node id). */
  exercise: string;
  name: string;
  /** pytest's node id relative to the exercise folder (`test_x.py::TestY::test_z[param]`); none for a collection error. */
  id?: string;
  /** The README rules the test checks (its `rule` markers), as the roadmap_pytest plugin reported them. */
  rules?: string[];
  /** How long the test took, set-up and tear-down included. */
  seconds?: number;
  outcome: Outcome;
  /** The assertion or error message, for failures, errors and skips. */
  message?: string;
  /** The longer report (traceback) pytest gave, bounded. */
  details?: string;
}

const MAX_DETAILS = 4_000;

interface JunitCase {
  "@_classname"?: string;
  "@_name"?: string;
  "@_file"?: string;
  "@_time"?: string;
  properties?: { property?: { "@_name"?: string; "@_value"?: string }[] };
  failure?: JunitProblem | JunitProblem[];
  error?: JunitProblem | JunitProblem[];
  skipped?: JunitProblem | JunitProblem[];
}
type JunitProblem = string | { "@_message"?: string; "#text"?: string };

/** Turns pytest's JUnit XML report into one result per test, each tied to its exercise folder. */
export function parseJunit(xml: string): TestResult[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    htmlEntities: true,
    isArray: (name) => name === "testsuite" || name === "testcase" || name === "property",
  });
  const doc = parser.parse(xml) as { testsuites?: { testsuite?: { testcase?: JunitCase[] }[] }; testsuite?: { testcase?: JunitCase[] }[] };
  const suites = doc.testsuites?.testsuite ?? doc.testsuite ?? [];
  return suites.flatMap((suite) => suite.testcase ?? []).map(toResult);
}

function toResult(testcase: JunitCase): TestResult {
  const classname = testcase["@_classname"] ?? "";
  const name = testcase["@_name"] ?? "";
  // pytest names a collection error's testcase after the module ("ex-id.test_mod") with an empty classname.
  const dotted = classname || name;
  const file = testcase["@_file"] ?? dotted.replace(/\./g, "/");
  const exercise = file.split("/")[0] ?? "";
  const rules = testcase.properties?.property?.find((p) => p["@_name"] === "rules")?.["@_value"];
  const [outcome, problem] = testcase.failure
    ? (["failed", testcase.failure] as const)
    : testcase.error
      ? (["error", testcase.error] as const)
      : testcase.skipped
        ? (["skipped", testcase.skipped] as const)
        : (["passed", undefined] as const);
  const first = Array.isArray(problem) ? problem[0] : problem;
  const text = typeof first === "string" ? undefined : first?.["#text"];
  let message = typeof first === "string" ? first : first?.["@_message"];
  // A collection error's message says only "collection failure": the cause is the traceback's last "E" line.
  if (message === "collection failure" && text) message = lastErrorLine(text) ?? message;
  return {
    exercise,
    name: classname ? name : "collecting the tests",
    ...(classname && testcase["@_file"] ? { id: nodeId(testcase["@_file"], classname, name) } : {}),
    ...(rules !== undefined ? { rules: rules.split(" ").filter(Boolean) } : {}),
    ...(testcase["@_time"] !== undefined ? { seconds: Number(testcase["@_time"]) } : {}),
    outcome,
    ...(message !== undefined ? { message: cleanMessage(message) } : {}),
    ...(text ? { details: bound(text) } : {}),
  };
}

/**
 * Undoes pytest's JUnit mangling of a node id: the classname is the test file as a dotted module followed by any
 * classes, the name is the test function with its parameters. The exercise folder is dropped from the front.
 */
function nodeId(file: string, classname: string, name: string): string {
  const module = file.replace(/\.py$/, "").replace(/\//g, ".");
  const classes = classname.startsWith(`${module}.`) ? classname.slice(module.length + 1).split(".") : [];
  return [file.split("/").slice(1).join("/"), ...classes, name].join("::");
}

function lastErrorLine(text: string): string | undefined {
  return text
    .split("\n")
    .filter((line) => line.startsWith("E   "))
    .map((line) => line.slice(4).trim())
    .pop();
}

/** pytest prefixes assertion messages with the exception type and appends the failed expression. */
export function cleanMessage(message: string): string {
  const firstBlock = message.split("\nassert ")[0]!;
  return firstBlock.replace(/^AssertionError: /, "").trim();
}

function bound(text: string): string {
  return text.length > MAX_DETAILS ? `${text.slice(0, MAX_DETAILS)}\n… (${text.length - MAX_DETAILS} more characters)` : text;
}
