import matter from "gray-matter";
import type * as z from "zod/mini";
import { stripControl } from "../sanitize.js";
import { CONTENT_FORMAT } from "./schema.js";

/** One problem in one content file, before it is located to a line. */
export interface ContentProblem {
  file: string;
  path: (string | number)[];
  message: string;
  line?: number;
}

/** `frontMatter` is the raw YAML text, kept so that problems found later can be given line numbers. */
export type Parsed<T> = { frontMatter: string } & ({ ok: true; data: T; body: string } | { ok: false; problems: ContentProblem[] });

/** Splits a YAML-fronted markdown file and validates its front matter; never throws on bad content. */
export function parseFrontMatter<S extends z.ZodMiniType>(raw: string, file: string, schema: S): Parsed<z.output<S>> {
  // Content is printed to terminals: no field or body may carry terminal control sequences (src/sanitize.ts),
  // neither written raw nor as a YAML escape ("\e"), so both the text and the parsed fields are cleaned.
  const source = stripControl(raw);
  let parsed: matter.GrayMatterFile<string>;
  try {
    // NOTE: an options object disables gray-matter's cache, which would keep every file's text alive.
    parsed = matter(source, {});
  } catch (error) {
    // js-yaml counts from 0 in gray-matter's text, which starts with the newline after the opening '---'.
    const mark = (error as { mark?: { line: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    return {
      ok: false,
      frontMatter: "",
      problems: [{ file, path: [], message: `front matter is not valid YAML: ${reason}`, line: mark ? mark.line + 1 : undefined }],
    };
  }
  const frontMatter = parsed.matter;
  if (!frontMatter.trim()) {
    return {
      ok: false,
      frontMatter,
      problems: [{ file, path: [], message: "has no front matter: it must start with a '---' line, YAML fields, and '---' (see docs/authoring.md)" }],
    };
  }
  const data = withoutControl(parsed.data) as Record<string, unknown>;
  if (typeof data.format === "number" && data.format > CONTENT_FORMAT) {
    return {
      ok: false,
      frontMatter,
      problems: [
        {
          file,
          path: ["format"],
          message: `is content format ${data.format}, newer than this tool reads (${CONTENT_FORMAT}): update python-backend-roadmap`,
        },
      ],
    };
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    return {
      ok: false,
      frontMatter,
      problems: result.error.issues.flatMap((issue) => {
        const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
        // An unknown field (often a typo) is named and located like any other field: one problem per key, at its line.
        if (issue.code === "unrecognized_keys") {
          return issue.keys.map((key) => ({ file, path: [...path, key], message: "is not a field of this format (a typo? see docs/authoring.md)" }));
        }
        return [{ file, path, message: issue.message }];
      }),
    };
  }
  return { ok: true, frontMatter, data: result.data, body: parsed.content };
}

export function formatProblem(problem: ContentProblem): string {
  const where = problem.line ? `${problem.file}:${problem.line}` : problem.file;
  const field = problem.path.length ? ` ${formatPath(problem.path)}:` : "";
  return `${where}:${field} ${problem.message}`;
}

function formatPath(path: (string | number)[]): string {
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
}

function withoutControl(value: unknown): unknown {
  if (typeof value === "string") return stripControl(value);
  if (Array.isArray(value)) return value.map(withoutControl);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [stripControl(key), withoutControl(inner)]));
  }
  return value;
}
