// A roadmap's verifiers are Python code from its folder. The bundled roadmap ships with the tool; any other folder
// (`--roadmap <dir>`) runs only once the learner trusts it: asked once per folder on a terminal, else `--trust`.
import { realpathSync } from "node:fs";
import { roadmapRoot, type GlobalOptions } from "./context.js";
import { UserError } from "./errors.js";
import { packageRoot } from "./package-info.js";

export type TrustDecision = "trusted" | "ask" | "refuse";

export interface TrustFacts {
  /** The roadmap folder, as a realpath. */
  roadmapDir: string;
  /** The installed package's folder, as a realpath: the bundled roadmap. */
  packageRoot: string;
  /** Folders the learner trusted before (realpaths, from the user settings). */
  remembered: readonly string[];
  /** `--trust` was passed. */
  flag: boolean;
  interactive: boolean;
}

export function trustDecision(facts: TrustFacts): TrustDecision {
  // NOTE: only the package folder itself counts, not folders under it (a node_modules there is not ours).
  if (facts.roadmapDir === facts.packageRoot || facts.flag || facts.remembered.includes(facts.roadmapDir)) return "trusted";
  return facts.interactive ? "ask" : "refuse";
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Call before running any of the roadmap's Python code; throws (exit 2) when the learner does not trust it. */
export async function requireTrustedRoadmap(options: GlobalOptions): Promise<void> {
  if (!options.roadmap) return;
  const roadmapDir = realpath(roadmapRoot(options));
  const [{ readSettings, updateSettings }, { confirmTrust, isInteractive }] = await Promise.all([import("./settings.js"), import("./ui/prompts.js")]);
  const remembered = readSettings().trustedRoadmaps ?? [];
  const decision = trustDecision({ roadmapDir, packageRoot: realpath(packageRoot), remembered, flag: Boolean(options.trust), interactive: isInteractive() });
  if (decision === "trusted") return;
  if (decision === "refuse") {
    throw new UserError(
      `This roadmap's verifiers run code from ${roadmapDir}, and that folder is not trusted yet.`,
      2,
      "Trust it for this run with --trust (e.g. roadmap --roadmap <dir> --trust check), or answer the question once on a terminal.",
    );
  }
  if (!(await confirmTrust(roadmapDir))) {
    throw new UserError(`Not trusted: nothing from ${roadmapDir} was run.`, 2, "Run again and answer yes, or pass --trust, once you have read its verifiers.");
  }
  await updateSettings({ trustedRoadmaps: [...remembered, roadmapDir] });
}
