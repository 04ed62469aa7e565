import { loadContent, locateWorkspace, type GlobalOptions } from "../context.js";
import type { Roadmap } from "../content/model.js";
import { exerciseReadme } from "../content/readme.js";
import { setupFirst, suggestNext, type NextStep } from "../plan.js";
import { readProgress } from "../progress/store.js";
import { summarizeReview } from "../quiz/due.js";
import { describeStep } from "../ui/format.js";
import { confirm, isInteractive } from "../ui/prompts.js";
import { print, style } from "../ui/style.js";

export interface NextOptions extends GlobalOptions {
  json?: boolean;
}

export async function next(options: NextOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), locateWorkspace(options)]);
  if (!workspace) {
    const command = "roadmap init";
    if (options.json) {
      print(JSON.stringify({ kind: "init", action: "Create your workspace", command }, null, 2));
      return;
    }
    print(`${style.bold("Next:")} create your workspace, a folder of your own with every exercise's starter files.`);
    print(`  ${style.cyan(command)} [dir]`);
    if (isInteractive() && (await confirm("Create it now?"))) {
      const { init } = await import("./init.js");
      await init(undefined, { ...options, ask: true });
    }
    return;
  }

  const progress = await readProgress(workspace);
  const now = new Date();
  const step = await readyFor(roadmap, workspace, suggestNext(roadmap, progress, now));
  const reviewDue = summarizeReview(roadmap, progress, now).due;
  if (options.json) {
    print(JSON.stringify({ ...stepJson(step), reviewDue }, null, 2));
    return;
  }
  const { action, detail } = describeStep(step);
  if (step.kind === "done") {
    print(style.green.bold(`Congratulations! ${action}`));
    print("Keep it fresh with `roadmap review` whenever cards are due, push your workspace so its CI badge shows 8/8, and build something of your own: a small trading API that uses every stage.");
    return;
  }
  print(`${style.bold("Next:")} ${action}`);
  if (detail) print(`  ${detail}`);
  print(`  ${style.cyan(step.command)}`);
  if (step.kind !== "review" && reviewDue) print(style.dim(`  (and ${reviewDue} review card${reviewDue === 1 ? "" : "s"} due: roadmap review)`));
  if (isInteractive() && (await confirm("Start now?"))) await startStep(step, { ...options, workspace });
}

/** An exercise comes after `roadmap setup` (or doctor) while the verifiers' Python lacks what it needs. */
async function readyFor(roadmap: Roadmap, workspace: string, step: NextStep): Promise<NextStep> {
  if (step.kind !== "exercise") return step;
  const [{ pythonReadiness }, { readSettings }] = await Promise.all([import("../python-ready.js"), import("../settings.js")]);
  const known = [...roadmap.exercises.values()].flatMap((exercise) => exercise.requires.python);
  const lookup = { env: process.env.ROADMAP_PYTHON, workspace, setting: readSettings().python };
  return setupFirst(step, await pythonReadiness(lookup, step.exercise.requires.python, known));
}

function stepJson(step: NextStep) {
  const { action } = describeStep(step);
  if (step.kind === "done") return { kind: step.kind, action, command: null };
  if (step.kind === "setup") {
    return { kind: step.kind, action, command: step.command, reason: step.reason, stage: { id: step.stage.id, title: step.stage.title, order: step.stage.order }, exercise: { id: step.exercise.id, title: step.exercise.title } };
  }
  if (step.kind === "review") return { kind: step.kind, action, command: step.command, due: step.due };
  return {
    kind: step.kind,
    action,
    command: step.command,
    stage: { id: step.stage.id, title: step.stage.title, order: step.stage.order },
    ...(step.kind === "exercise" ? { exercise: { id: step.exercise.id, title: step.exercise.title, files: step.exercise.files } } : {}),
    ...(step.kind === "quiz" && step.toAnswer ? { toAnswer: step.toAnswer } : {}),
  };
}

async function startStep(step: Exclude<NextStep, { kind: "done" }>, options: GlobalOptions): Promise<void> {
  switch (step.kind) {
    case "learn":
      return (await import("./learn.js")).learn(step.stage.id, options);
    case "checklist":
      return (await import("./checklist.js")).checklist(step.stage.id, options);
    case "exercise": {
      // Starting an exercise: its task, then watch mode, which re-checks on every save.
      const { renderMarkdown } = await import("../ui/markdown.js");
      print(renderMarkdown(exerciseReadme(step.exercise)));
      return (await import("./watch.js")).watch(step.exercise.id, options);
    }
    case "quiz":
      return (await import("./quiz.js")).quiz(step.stage.id, options);
    case "review":
      return (await import("./review.js")).review(options);
    case "setup":
      return step.command === "roadmap setup" ? (await import("./setup.js")).setup(options) : (await import("./doctor.js")).doctor(options);
  }
}
