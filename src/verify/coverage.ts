// Rule coverage, judged from the runs `dev check` already makes (pure: test results in, a report out). A rule is
// covered when a test checks it AND a known-wrong solution breaks it alone: every test that wrong solution fails
// carries the rule, which proves the rule's own assertions bite.
import type { ExerciseFrontMatter } from "../content/schema.js";
import { lockDifferences, type CollectedTests } from "../content/tests-lock.js";
import type { TestResult } from "./results.js";

export interface CoverageInput {
  exercise: Pick<ExerciseFrontMatter, "id" | "rules" | "wrong" | "starter_passes">;
  /** Every test the reference solution ran (the collected tests and their rules). */
  solution: TestResult[];
  /** The untouched starter's results; undefined when it was not verified (a missing service, a timeout). */
  starter?: TestResult[];
  /** Each wrong solution's results, by wrong id; undefined when it was not verified. */
  wrong: Record<string, TestResult[] | undefined>;
  /** The exercise's tests.lock.json; undefined when it has none. */
  lock?: CollectedTests;
}

export interface CoveredRule {
  id: string;
  tests: string[];
  /** Wrong solutions that name the rule and fail only tests that carry it. */
  provenBy: string[];
}

export interface TestRef {
  id: string;
  rules: string[];
}

export interface WrongCoverage {
  id: string;
  rules: string[];
  failing: TestRef[];
  /** The rules among its own that this wrong solution proves. */
  proves: string[];
}

export interface Coverage {
  rules: CoveredRule[];
  tests: TestRef[];
  wrong: WrongCoverage[];
  /** Tests that pass on the untouched starter, and whether starter_passes allows it. */
  starterPasses: { test: string; allowed: boolean }[];
  problems: string[];
}

const failed = (t: TestResult) => t.outcome === "failed" || t.outcome === "error";
const ref = (t: TestResult): TestRef => ({ id: t.id ?? t.name, rules: t.rules ?? [] });
const list = (items: string[]) => items.join(", ");

export function judgeCoverage(input: CoverageInput): Coverage {
  const { exercise } = input;
  const ruleIds = exercise.rules.map((rule) => rule.id);
  const tests = input.solution.filter((t) => t.id !== undefined).map(ref);
  const wrong: WrongCoverage[] = exercise.wrong.map((entry) => {
    const failing = (input.wrong[entry.id] ?? []).filter(failed).map(ref);
    const proves = entry.rules.filter((rule) => failing.length > 0 && failing.every((t) => t.rules.includes(rule)));
    return { id: entry.id, rules: entry.rules, failing, proves };
  });
  const rules: CoveredRule[] = ruleIds.map((id) => ({
    id,
    tests: tests.filter((t) => t.rules.includes(id)).map((t) => t.id),
    provenBy: wrong.filter((w) => w.proves.includes(id)).map((w) => w.id),
  }));
  const allowed = new Set(exercise.starter_passes.map((pass) => pass.test));
  const starterPasses = (input.starter ?? []).filter((t) => t.outcome === "passed" && t.id).map((t) => ({ test: t.id!, allowed: allowed.has(t.id!) }));
  const problems = [
    ...testProblems(ruleIds, tests),
    ...wrongProblems(input, wrong),
    ...ruleProblems(input, rules, wrong),
    ...(input.starter ? starterProblems(starterPasses, allowed, tests) : []),
    ...silentProblems(input),
    ...lockProblems(input, collectedTests(input.solution)),
  ];
  return { rules, tests, wrong, starterPasses, problems };
}

function testProblems(ruleIds: string[], tests: TestRef[]): string[] {
  const problems = ruleIds.length === 0 ? ["states no rules: add `rules:` (id + sentence each) to the README front matter"] : [];
  const untagged = tests.filter((t) => t.rules.length === 0).map((t) => t.id);
  if (untagged.length) problems.push(`${untagged.length} test(s) name no rule (add @pytest.mark.rule): ${list(untagged)}`);
  for (const test of tests) {
    const unknown = test.rules.filter((r) => !ruleIds.includes(r));
    if (unknown.length) problems.push(`${test.id} names rule(s) the README does not state: ${list(unknown)}`);
  }
  return problems;
}

function wrongProblems(input: CoverageInput, wrong: WrongCoverage[]): string[] {
  return wrong.flatMap((entry) => {
    if (entry.rules.length === 0) return [`wrong/${entry.id} names no rule: add \`rules: [...]\` with the rule(s) it breaks`];
    const missesItsRules = input.wrong[entry.id] && entry.failing.length && !entry.failing.some((t) => t.rules.some((r) => entry.rules.includes(r)));
    return missesItsRules ? [`wrong/${entry.id} breaks [${list(entry.rules)}] but fails no test of them; it fails ${describeTests(entry.failing)}`] : [];
  });
}

function ruleProblems(input: CoverageInput, rules: CoveredRule[], wrong: WrongCoverage[]): string[] {
  // Whether a wrong solution proves a rule is known only once every wrong solution was verified.
  const judged = input.exercise.wrong.every((entry) => input.wrong[entry.id] !== undefined);
  return rules.flatMap((rule) => {
    if (rule.tests.length === 0) return [`rule ${rule.id} has no test: mark the tests that check it with @pytest.mark.rule("${rule.id}")`];
    if (rule.provenBy.length > 0 || !judged) return [];
    const naming = wrong.filter((w) => w.rules.includes(rule.id));
    if (naming.length === 0) return [`rule ${rule.id} has no known-wrong solution: add one that breaks only this rule (wrong: rules: [${rule.id}])`];
    const others = naming.map((w) => `wrong/${w.id} also fails ${describeTests(w.failing.filter((t) => !t.rules.includes(rule.id)))}`);
    return [`rule ${rule.id} is proven by no wrong solution: ${others.join("; ")}`];
  });
}

function starterProblems(passes: { test: string; allowed: boolean }[], allowed: Set<string>, tests: TestRef[]): string[] {
  const problems = passes
    .filter((pass) => !pass.allowed)
    .map((pass) => `${pass.test} passes on the untouched starter: make it fail there, or list it in starter_passes with why`);
  for (const test of allowed) {
    if (!tests.some((t) => t.id === test)) problems.push(`starter_passes lists ${test}, which is not a test of this exercise`);
    else if (!passes.some((pass) => pass.test === test)) problems.push(`starter_passes lists ${test}, which fails on the starter: remove the entry`);
  }
  return problems;
}

/** Failures on the starter and on wrong solutions that tell the learner nothing, grouped by run and by fix. */
function silentProblems(input: CoverageInput): string[] {
  const runs = new Map<string, TestResult[] | undefined>([["the starter", input.starter], ...input.exercise.wrong.map((w) => [`wrong/${w.id}`, input.wrong[w.id]] as const)]);
  return [...runs].flatMap(([variant, results]) => {
    const silent = new Map<string, string[]>();
    for (const test of (results ?? []).filter((t) => failed(t) && t.id)) {
      const fix = silentFailure(test.message ?? "");
      if (fix) silent.set(fix, [...(silent.get(fix) ?? []), test.id!]);
    }
    return [...silent].map(([fix, ids]) => `${ids.length} test(s) fail on ${variant} with no message for the learner (${fix}): ${list(ids)}`);
  });
}

function lockProblems(input: CoverageInput, collected: CollectedTests): string[] {
  const update = `roadmap dev check ${input.exercise.id} --update-lock`;
  if (!input.lock) return [`has no tests.lock.json: record its tests with ${update}`];
  const differences = lockDifferences(input.lock, collected);
  return differences.length ? [`its tests differ from tests.lock.json (${list(differences)}); if intended: ${update}`] : [];
}

/** The tests a run collected, as tests.lock.json records them. */
export function collectedTests(results: TestResult[]): CollectedTests {
  return Object.fromEntries(results.filter((t) => t.id !== undefined).map((t) => [t.id!, t.rules ?? []]));
}

/**
 * Why a failure says nothing a learner can act on, or undefined when it does: pytest's bare "DID NOT RAISE" and
 * an assert without a message (pytest's rewritten `assert x == y` is all the learner would see).
 */
export function silentFailure(message: string): string | undefined {
  if (/^(?:Failed: )?DID NOT RAISE/.test(message)) return 'a bare DID NOT RAISE: use roadmap_pytest.raises(exc, "message")';
  if (/^assert /.test(message)) return "an assert without a message: add one";
  return undefined;
}

function describeTests(tests: TestRef[]): string {
  return list(tests.map((t) => `${t.id} (${t.rules.length ? `rules: ${list(t.rules)}` : "no rule"})`)) || "nothing";
}
