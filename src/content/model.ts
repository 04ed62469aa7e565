import type { ExerciseFrontMatter, StageFrontMatter } from "./schema.js";

export interface Stage extends StageFrontMatter {
  /** Path of the stage file, relative to the roadmap root. */
  file: string;
  lesson: string;
}

export interface Exercise extends Omit<ExerciseFrontMatter, "hints"> {
  /** The hints' texts, in order (the front matter may write a hint as a string or as `{ text, rules }`). */
  hints: string[];
  /** For each hint, the rules it helps with ([] for a plain-string hint); see `hintFor` in content/hints.ts. */
  hintRules: string[][];
  stageId: string;
  /** Absolute path of the exercise folder (prompt, starter/, tests/, solution/, wrong/<id>.diff). */
  dir: string;
  prompt: string;
}

export interface Roadmap {
  root: string;
  stages: Stage[];
  exercises: Map<string, Exercise>;
}

export function findStage(roadmap: Roadmap, stageId: string): Stage | undefined {
  return roadmap.stages.find((stage) => stage.id === stageId);
}

export function stageExercises(roadmap: Roadmap, stage: Stage): Exercise[] {
  return stage.exercises.flatMap((id) => roadmap.exercises.get(id) ?? []);
}
