// An exercise's rules are written once, in its front matter; the README a learner reads gets them from there, so
// the task and the checks (which name the same rule ids) cannot drift apart.
import type { Exercise } from "./model.js";

/** The line in a README body where the rules are rendered. */
export const RULES_PLACEHOLDER = "<!-- rules -->";

/** The README the learner sees: the title, then the body with the rules in place of the placeholder line. */
export function exerciseReadme(exercise: Pick<Exercise, "title" | "prompt" | "rules">): string {
  const lines = exercise.prompt.split("\n");
  const at = lines.findIndex((line) => line.trim() === RULES_PLACEHOLDER);
  const list = rulesList(exercise.rules);
  if (at === -1) {
    const body = exercise.prompt.replace(/\s*$/, "\n");
    return `# ${exercise.title}\n${list.length ? `${body}\n## Rules\n\n${list.join("\n")}\n` : body}`;
  }
  // A list needs a blank line on each side to stay a list whatever the text around the placeholder is.
  const before = lines.slice(0, at);
  const after = lines.slice(at + 1);
  while (before.length && before.at(-1)!.trim() === "") before.pop();
  while (after.length && after[0]!.trim() === "") after.shift();
  const middle = list.length ? ["", ...list, ""] : [""];
  return `# ${exercise.title}\n${[...before, ...middle, ...after].join("\n")}`;
}

/** One list item per rule: its id (which a failing check names) and its sentence, continuation lines indented. */
export function rulesList(rules: { id: string; text: string }[]): string[] {
  return rules.map((rule) => {
    const [first, ...rest] = rule.text.trim().split("\n");
    return [`- \`${rule.id}\`: ${first}`, ...rest.map((line) => (line.trim() ? `  ${line}` : ""))].join("\n");
  });
}
