import { Chalk } from "chalk";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import { exerciseReadme } from "../../src/content/readme.js";
import { renderMarkdown } from "../../src/ui/markdown.js";
import { style } from "../../src/ui/style.js";
import { repoRoot } from "../helpers.js";

const colour = new Chalk({ level: 1 });
const plain = new Chalk({ level: 0 });

/** Markdown that survived rendering: bold markers, a backtick pair, a link written `[text](url)`. */
const RAW = [/\*\*\S/, /`[^`\n]+`/, /\[[^\]\n]+\]\([^)\n]+\)/];

/**
 * The document with the content of its code (fenced blocks and inline code spans) made free of markdown's marker
 * characters, delimiters kept: code may legitimately print `**kwargs` or a ```json fence, but no rendered line may
 * show a marker that markdown should have consumed.
 */
function withoutMarkersInCode(markdown: string): string {
  const scrub = (text: string) => text.replace(/[*`[\]()_]/g, "~");
  let fence: string | null = null;
  return markdown
    .split("\n")
    .map((line) => {
      const opening = /^\s*(`{3,}|~{3,})/.exec(line);
      if (fence) {
        if (opening && opening[1]!.startsWith(fence)) fence = null;
        return fence ? scrub(line) : line;
      }
      if (opening) {
        fence = opening[1]!;
        return line;
      }
      return line.replace(/(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)/g, (_, ticks: string, code: string) => ticks + scrub(code) + ticks);
    })
    .join("\n");
}

/** The rendered lines that still show raw markdown. */
function rawLines(rendered: string): string[] {
  return stripVTControlCharacters(rendered)
    .split("\n")
    .filter((line) => RAW.some((pattern) => pattern.test(line)));
}

describe("renderMarkdown", () => {
  const list = "Intro with **bold**.\n\n- **bold** item\n- `code` item\n- a [link](https://example.com/x) item\n  over two lines with *em*\n";

  it("renders inline formatting inside list items, in colour", () => {
    const out = renderMarkdown(list, { colours: colour, width: 80 });
    expect(rawLines(out)).toEqual([]);
    expect(out).toContain(colour.bold("bold"));
    expect(out).toContain(colour.yellow("code"));
    expect(out).toContain("\x1b[34mlink");
    expect(stripVTControlCharacters(out)).toContain("a link (https://example.com/x) item");
  });

  it("renders them as plain text without any escape code when plain", () => {
    const out = renderMarkdown(list, { colours: plain, width: 80 });
    expect(out).toBe(stripVTControlCharacters(out));
    expect(rawLines(out)).toEqual([]);
    expect(out).toMatch(/\* bold item\n\s*\* code item\n\s*\* a link \(https:\/\/example\.com\/x\) item/);
  });

  it("renders plain output the same with the stand-in style.ts uses when plain (no chalk loaded)", () => {
    expect(renderMarkdown(list, { colours: style, width: 80 })).toBe(renderMarkdown(list, { colours: plain, width: 80 }));
    expect(renderMarkdown("- a\n- b `c`\n", { colours: style, width: 80 })).toBe("  * a\n  * b c");
  });

  it("keeps what code blocks and code spans say", () => {
    const out = renderMarkdown("- call `f(*args, **kwargs)`\n\n```python\nd = {**a}\n```\n", { colours: plain, width: 80 });
    expect(out).toContain("f(*args, **kwargs)");
    expect(out).toContain("d = {**a}");
  });
});

describe("every lesson and every exercise README renders without raw markdown", async () => {
  const roadmap = await loadRoadmap(repoRoot);
  const documents = [
    ...roadmap.stages.map((stage) => [`roadmap/${stage.id}`, stage.lesson] as const),
    ...[...roadmap.exercises.values()].map((exercise) => [`${exercise.stageId}/${exercise.id}`, exerciseReadme(exercise)] as const),
  ];

  it("covers the whole course", () => {
    expect(roadmap.stages.length).toBe(8);
    expect(documents.length).toBe(roadmap.stages.length + roadmap.exercises.size);
  });

  for (const [mode, colours] of [["colour", colour], ["plain (NO_COLOR, a pipe)", plain]] as const) {
    it(`in ${mode}`, () => {
      const offenders = documents.flatMap(([name, markdown]) =>
        rawLines(renderMarkdown(withoutMarkersInCode(markdown), { colours, width: 100 })).map((line) => `${name}: ${line}`),
      );
      expect(offenders).toEqual([]);
      if (colours === plain) for (const [, markdown] of documents) expect(renderMarkdown(markdown, { colours })).not.toMatch(/\x1b\[/);
    });
  }
});
