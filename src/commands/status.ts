import { loadContent, locateWorkspace, type GlobalOptions } from "../context.js";
import { overallShare, summarizeStage, isExercisePassed } from "../plan.js";
import { emptyProgress } from "../progress/model.js";
import { readProgress } from "../progress/store.js";
import { summarizeReview } from "../quiz/due.js";
import { formatStatusTable, percent, progressBar } from "../ui/format.js";
import { formatReviewDue } from "../ui/quiz.js";
import { print, style } from "../ui/style.js";

export interface StatusOptions extends GlobalOptions {
  json?: boolean;
  exercises?: boolean;
}

export async function status(options: StatusOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), locateWorkspace(options)]);
  const progress = workspace ? await readProgress(workspace) : emptyProgress();
  const summaries = roadmap.stages.map((stage) => summarizeStage(roadmap, progress, stage));
  const overall = overallShare(summaries);
  const now = new Date();
  const review = summarizeReview(roadmap, progress, now);

  if (options.json) {
    print(
      JSON.stringify(
        {
          workspace: workspace ?? null,
          overall,
          stages: summaries.map((s) => ({
            id: s.stage.id,
            title: s.stage.title,
            order: s.stage.order,
            lessonRead: s.lessonRead,
            checklist: s.checklist,
            quiz: s.quiz,
            exercises: {
              ...s.exercises,
              items: s.stage.exercises.map((id) => ({ id, passed: isExercisePassed(progress, id) })),
            },
            started: s.started,
            complete: s.complete,
          })),
          review: { cards: review.cards, due: review.due, nextDue: review.nextDue?.toISOString() ?? null },
        },
        null,
        2,
      ),
    );
    return;
  }

  print(workspace ? style.dim(`Workspace: ${workspace}`) : style.yellow("No workspace yet: run `roadmap init` to start."));
  for (const [index, line] of formatStatusTable(summaries).entries()) {
    print(line);
    if (options.exercises) {
      for (const id of summaries[index]!.stage.exercises) {
        const exercise = roadmap.exercises.get(id)!;
        const mark = isExercisePassed(progress, id) ? style.green("passed") : style.dim("todo  ");
        print(`      ${mark}  ${id}${exercise.optional ? style.dim(" (optional)") : ""}`);
      }
    }
  }
  const complete = summaries.filter((s) => s.complete).length;
  print(`Overall ${progressBar(overall, 20)} ${percent(overall)}  (${complete}/${summaries.length} stages complete)`);
  const reviewDue = formatReviewDue(review, now);
  if (reviewDue) print(review.due ? `Review cards: ${reviewDue} (roadmap review)` : style.dim(`Review cards: ${reviewDue}`));
}
