import { isMap, isSeq, parseDocument, type Node } from "yaml";
import type { ContentProblem } from "./parse.js";

/**
 * Adds a line number to a problem, from the raw front matter. Loaded only when content is invalid, so a valid
 * roadmap never pays for a second YAML parser.
 */
export function locateProblem(problem: ContentProblem, frontMatter: string): ContentProblem {
  if (problem.line !== undefined || !frontMatter) return problem;
  const offset = deepestOffset(parseDocument(frontMatter).contents as Node | null, problem.path);
  if (offset === undefined) return problem;
  return { ...problem, line: fileLine(frontMatter, countLines(frontMatter, offset)) };
}

function deepestOffset(root: Node | null, path: (string | number)[]): number | undefined {
  let node: Node | null = root;
  let offset = node?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof key === "number") {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/** The file line of a 0-based front-matter line: after the opening '---', which gray-matter's text may include. */
export function fileLine(frontMatter: string, line: number): number {
  return line + (frontMatter.startsWith("\n") ? 1 : 2);
}

function countLines(text: string, offset: number): number {
  let lines = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === "\n") lines++;
  return lines;
}
