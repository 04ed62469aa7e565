import type { NextStep, StageSummary } from "../plan.js";
import { plain, style } from "./style.js";

export function progressBar(share: number, width = 10): string {
  const filled = Math.round(Math.min(1, Math.max(0, share)) * width);
  const [full, empty] = plain ? ["#", "."] : ["█", "░"];
  return style.green(full.repeat(filled)) + style.dim(empty.repeat(width - filled));
}

export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function stageShare(s: StageSummary): number {
  const total = s.checklist.total + s.exercises.total + (s.quiz.questions ? 1 : 0);
  const done = s.checklist.done + s.exercises.passed + (s.quiz.questions && s.quiz.passed ? 1 : 0);
  return total ? done / total : 1;
}

/** One aligned line per stage; the columns line up in plain text too. */
export function formatStatusTable(summaries: StageSummary[]): string[] {
  const titleWidth = Math.max(...summaries.map((s) => s.stage.title.length));
  return summaries.map((s) => {
    const quiz = s.quiz.questions === 0 ? "  -" : s.quiz.best === null ? "  -" : percent(s.quiz.best).padStart(4);
    const optional = s.exercises.optional ? ` +${s.exercises.optional} optional` : "";
    const columns = [
      String(s.stage.order).padStart(2),
      s.stage.title.padEnd(titleWidth),
      progressBar(stageShare(s)),
      `checklist ${`${s.checklist.done}/${s.checklist.total}`.padStart(5)}`,
      `quiz ${quiz.padStart(4)}`,
      `exercises ${`${s.exercises.passed}/${s.exercises.total}`.padStart(5)}${optional}`,
    ];
    // Questions changed since the quiz was taken: the earlier answers to them no longer count.
    if (s.quiz.taken && s.quiz.unanswered) columns.push(style.yellow(`${s.quiz.unanswered} quiz question${s.quiz.unanswered === 1 ? "" : "s"} to answer`));
    const line = columns.join("  ");
    return s.complete ? `${line}  ${style.green("done")}` : line;
  });
}

export function describeStep(step: NextStep): { action: string; detail?: string } {
  switch (step.kind) {
    case "learn":
      return { action: `Read the lesson of stage ${step.stage.order}, ${step.stage.title}` };
    case "exercise":
      return {
        action: `Solve the exercise ${step.exercise.id}: ${step.exercise.title}`,
        detail: `Edit ${step.exercise.files.join(", ")} in ${step.stage.id}/${step.exercise.id}/ of your workspace, then check it.`,
      };
    case "setup":
      return step.command === "roadmap setup"
        ? { action: `Set up Python for the exercises, before ${step.exercise.id}`, detail: `The checks would fail for a reason that is not yours: ${step.reason}.` }
        : { action: `Fix the Python the checks run with, before ${step.exercise.id}`, detail: `${step.reason}; doctor says how to fix it.` };
    case "checklist":
      return { action: `Tick the checklist of ${step.stage.title} (${step.remaining} left)`, detail: "Tick only what you can really do." };
    case "quiz":
      if (!step.toAnswer) return { action: `Pass the quiz of ${step.stage.title}` };
      return {
        action: `Answer the ${step.toAnswer === 1 ? "new or changed question" : `${step.toAnswer} new or changed questions`} of stage ${step.stage.order}, ${step.stage.title}`,
        detail: "Your answers to the other questions still count; add --all to retake every question.",
      };
    case "review":
      return {
        action: `Review ${step.due} quiz question${step.due === 1 ? "" : "s"} due again`,
        detail: "Spaced review keeps earlier stages fresh; it comes before starting a new stage.",
      };
    case "done":
      return { action: "You finished the whole roadmap." };
  }
}
