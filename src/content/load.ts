import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ContentError } from "../errors.js";
import { storedPath } from "./files.js";
import { formatProblem, parseFrontMatter, type ContentProblem } from "./parse.js";
import type { Exercise, Roadmap, Stage } from "./model.js";
import { splitHints } from "./hints.js";
import { exerciseSchema, stageSchema } from "./schema.js";

const STAGE_FILE = /^(\d+)-([a-z0-9-]+)\.md$/;

/**
 * Reads and cross-checks a roadmap: `roadmap/NN-<stage>.md` and `exercises/<stage>/<exercise>/README.md`.
 * Every problem in every file is collected and thrown together as one ContentError.
 */
export async function loadRoadmap(root: string): Promise<Roadmap> {
  const problems: ContentProblem[] = [];
  // Raw front matter by file, to give each problem a line number if there are any.
  const frontMatters = new Map<string, string>();
  const rel = (path: string) => relative(root, path) || path;

  const stageDir = join(root, "roadmap");
  let stageFiles: string[];
  try {
    stageFiles = readdirSync(stageDir).filter((name) => name.endsWith(".md")).sort();
  } catch {
    throw new ContentError([`${stageDir}: no roadmap folder here (expected roadmap/NN-<stage-id>.md files)`]);
  }
  if (stageFiles.length === 0) throw new ContentError([`${stageDir}: has no stage files (NN-<stage-id>.md)`]);

  const stages: Stage[] = [];
  for (const name of stageFiles) {
    const file = join("roadmap", name);
    const nameMatch = STAGE_FILE.exec(name);
    if (!nameMatch) {
      problems.push({ file, path: [], message: "stage files are named NN-<stage-id>.md" });
      continue;
    }
    const parsed = parseFrontMatter(readFileSync(join(stageDir, name), "utf8"), file, stageSchema);
    frontMatters.set(file, parsed.frontMatter);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    if (parsed.data.id !== nameMatch[2]) {
      problems.push({ file, path: ["id"], message: `"${parsed.data.id}" does not match the file name (${nameMatch[2]})` });
    }
    stages.push({ ...parsed.data, file, lesson: parsed.body });
  }

  const exercises = new Map<string, Exercise>();
  const seenQuestion = new Map<string, string>();
  const seenStage = new Map<string, string>();
  for (const stage of stages) {
    const firstWithId = seenStage.get(stage.id);
    if (firstWithId) problems.push({ file: stage.file, path: ["id"], message: `duplicate stage id "${stage.id}" (also in ${firstWithId})` });
    seenStage.set(stage.id, stage.file);
    duplicates(stage.checklist.map((item) => item.id)).forEach((index) =>
      problems.push({ file: stage.file, path: ["checklist", index, "id"], message: `duplicate checklist id "${stage.checklist[index]!.id}"` }),
    );
    stage.quiz.questions.forEach((question, index) => {
      const other = seenQuestion.get(question.id);
      if (other) problems.push({ file: stage.file, path: ["quiz", "questions", index, "id"], message: `duplicate question id "${question.id}" (also in ${other})` });
      seenQuestion.set(question.id, stage.file);
    });
    stage.exercises.forEach((exerciseId, index) => {
      const readme = join(root, "exercises", stage.id, exerciseId, "README.md");
      if (!existsSync(readme)) {
        problems.push({ file: stage.file, path: ["exercises", index], message: `exercise "${exerciseId}" has no ${rel(readme)}` });
      } else if (stage.exercises.indexOf(exerciseId) !== index) {
        problems.push({ file: stage.file, path: ["exercises", index], message: `duplicate exercise id "${exerciseId}"` });
      }
    });
  }

  // Every exercise folder on disk is read, even one whose stage file is broken, so all problems show at once.
  const listedStages = new Set(stages.map((stage) => stage.id));
  for (const stageId of listDirs(join(root, "exercises"))) {
    for (const exerciseId of listDirs(join(root, "exercises", stageId))) {
      const dir = join(root, "exercises", stageId, exerciseId);
      const readme = join(dir, "README.md");
      if (!existsSync(readme)) continue;
      const file = rel(readme);
      const parsed = parseFrontMatter(readFileSync(readme, "utf8"), file, exerciseSchema);
      frontMatters.set(file, parsed.frontMatter);
      if (!parsed.ok) {
        problems.push(...parsed.problems);
        continue;
      }
      if (parsed.data.id !== exerciseId) {
        problems.push({ file, path: ["id"], message: `"${parsed.data.id}" does not match its folder (${exerciseId})` });
      }
      parsed.data.files.forEach((name, fileIndex) => {
        if (!existsSync(join(dir, "starter", storedPath(name)))) {
          problems.push({ file, path: ["files", fileIndex], message: `${name} is not in ${rel(join(dir, "starter"))}` });
        }
      });
      const owner = stages.find((stage) => stage.id === stageId);
      if (owner && !owner.exercises.includes(exerciseId)) {
        problems.push({ file, path: [], message: `is not listed in the exercises of ${owner.file}` });
      } else if (exercises.has(exerciseId)) {
        problems.push({ file, path: ["id"], message: `duplicate exercise id "${exerciseId}" (also in ${rel(exercises.get(exerciseId)!.dir)})` });
      } else if (listedStages.has(stageId)) {
        exercises.set(exerciseId, { ...parsed.data, ...splitHints(parsed.data.hints), stageId, dir, prompt: parsed.body });
      }
    }
  }

  if (problems.length) {
    const { locateProblem } = await import("./locate.js");
    throw new ContentError(problems.map((problem) => formatProblem(locateProblem(problem, frontMatters.get(problem.file) ?? ""))));
  }
  // Exercises in the order the stages list them, which is the order they are served in.
  const ordered = new Map(stages.sort((a, b) => a.order - b.order).flatMap((stage) => stage.exercises.map((id) => [id, exercises.get(id)!] as const)));
  return { root, stages, exercises: ordered };
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

function duplicates(values: string[]): number[] {
  return values.flatMap((value, index) => (values.indexOf(value) !== index ? [index] : []));
}
