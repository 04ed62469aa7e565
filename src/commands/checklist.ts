import { loadContent, requireWorkspace, resolveStage, type GlobalOptions } from "../context.js";
import { UserError } from "../errors.js";
import { currentStage } from "../plan.js";
import { setChecklistItems } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { checkbox, requireInteractive } from "../ui/prompts.js";
import { print, style } from "../ui/style.js";

export interface ChecklistOptions extends GlobalOptions {
  done?: string[];
  undo?: string[];
}

/** Ticks checklist items: interactively with a checkbox, or with --done/--undo for scripts. */
export async function checklist(stageArg: string | undefined, options: ChecklistOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  const progress = await readProgress(workspace);
  const stage = stageArg ? resolveStage(roadmap, stageArg) : currentStage(roadmap, progress);
  const known = new Set(stage.checklist.map((item) => item.id));

  let tick: string[];
  let untick: string[];
  if (options.done?.length || options.undo?.length) {
    tick = options.done ?? [];
    untick = options.undo ?? [];
    const unknown = [...tick, ...untick].filter((id) => !known.has(id));
    if (unknown.length) {
      throw new UserError(`stage ${stage.id} has no checklist item "${unknown[0]}"`, 2, `Items: ${[...known].join(", ")}`);
    }
  } else {
    requireInteractive("Ticking the checklist", `roadmap checklist ${stage.id} --done <item-id> [--undo <item-id>]`);
    const ticked = progress.checklist[stage.id] ?? {};
    const chosen = await checkbox(
      `${stage.title}: tick what you can do (space to toggle, enter to save)`,
      stage.checklist.map((item) => ({ value: item.id, name: item.text, checked: Boolean(ticked[item.id]) })),
    );
    tick = chosen;
    untick = stage.checklist.map((item) => item.id).filter((id) => !chosen.includes(id));
  }

  const saved = await updateProgress(workspace, (p) => setChecklistItems(p, stage.id, { tick, untick }, new Date()));
  const ticked = saved.checklist[stage.id] ?? {};
  for (const item of stage.checklist) print(`  ${ticked[item.id] ? style.green("[x]") : "[ ]"} ${item.id}  ${style.dim(item.text)}`);
  const done = stage.checklist.filter((item) => ticked[item.id]).length;
  print(`${stage.title}: ${done}/${stage.checklist.length} ticked`);
}
