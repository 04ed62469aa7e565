import { loadContent, locateWorkspace, resolveStage, type GlobalOptions } from "../context.js";
import { currentStage } from "../plan.js";
import { emptyProgress, markLessonRead } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { renderMarkdown } from "../ui/markdown.js";
import { printPaged } from "../ui/pager.js";
import { print, style } from "../ui/style.js";

/** Shows a stage's lesson (default: the stage the learner is in) and records that it was read. */
export async function learn(stageArg: string | undefined, options: GlobalOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), locateWorkspace(options)]);
  const progress = workspace ? await readProgress(workspace) : emptyProgress();
  const stage = stageArg ? resolveStage(roadmap, stageArg) : currentStage(roadmap, progress);

  const lines = [style.bold(`Stage ${stage.order}: ${stage.title}`), style.dim(stage.summary), "", renderMarkdown(stage.lesson), ""];
  // Checklist items are markdown too (inline code, bold): rendered as the list they are.
  lines.push(style.bold("Checklist"), renderMarkdown(stage.checklist.map((item) => `- ${item.text}`).join("\n")));
  if (stage.exercises.length) lines.push(`\n${style.bold("Exercises:")} ${stage.exercises.join(", ")}`);
  // A lesson is longer than a screen: on a terminal it goes through the pager, in a pipe it is printed as is.
  await printPaged(lines.join("\n"));

  if (workspace) await updateProgress(workspace, (p) => markLessonRead(p, stage.id, new Date()));
  else print(style.yellow("\nNo workspace yet, so this reading is not recorded: run `roadmap init`."));
}

