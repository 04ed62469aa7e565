// Shared set-up of the fault-injection suite: the fixture course, grown where a fault needs more of it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { copyCourse, learner, type Learner } from "../helpers.js";

export const python = process.env.ROADMAP_PYTHON ?? "python3";

/** A copy of the fixture course whose second stage ("advanced") has `count` checklist items item-0, item-1, ... */
export function courseWithChecklist(count: number): { course: string; items: string[] } {
  const course = copyCourse();
  const items = Array.from({ length: count }, (_, i) => `item-${i}`);
  const stage = join(course, "roadmap", "02-advanced.md");
  const text = readFileSync(stage, "utf8");
  const original = '  - id: ship-it\n    text: "Ship it"\n';
  expect(text).toContain(original);
  writeFileSync(stage, text.replace(original, items.map((id) => `  - id: ${id}\n    text: "Item ${id}"\n`).join("")));
  return { course, items };
}

/** A learner with a workspace of `course` made by `roadmap init`. */
export async function workspaceOf(course: string, person: Learner = learner()): Promise<{ person: Learner; workspace: string }> {
  const workspace = join(person.home, "ws");
  const init = await person.run(["--roadmap", course, "init", workspace, "--no-install"]);
  expect(init.code, init.stderr).toBe(0);
  return { person, workspace };
}

/** One line for the figures the README quotes; vitest shows it under the test's name. */
export function figure(text: string): void {
  console.log(`FIGURE ${text}`);
}
