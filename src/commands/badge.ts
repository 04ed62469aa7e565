import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BADGE_FILES, BADGE_FORMATS, renderBadge, writeReplacing, type BadgeFormat } from "../ci/files.js";
import { buildReport } from "../ci/report.js";
import { loadContent, requireWorkspace } from "../context.js";
import { ExitCode, ExitError, UserError } from "../errors.js";
import { readProgress } from "../progress/store.js";
import { printError } from "../ui/style.js";
import type { VerifyAllOptions } from "./ci.js";

export interface BadgeOptions extends VerifyAllOptions {
  format?: string;
  out?: string;
  verify?: boolean;
}

/**
 * `roadmap badge`: the badge from local progress (or, with --verify, from re-run verifiers like `roadmap ci`), to
 * stdout by default. An --out that is a folder (existing, or ending in /) gets the format's usual file name.
 */
export async function badge(options: BadgeOptions): Promise<void> {
  const format = (options.format ?? "svg") as BadgeFormat;
  if (!BADGE_FORMATS.includes(format)) throw new UserError(`--format must be one of ${BADGE_FORMATS.join(", ")}, not "${options.format}"`);
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  const progress = await readProgress(workspace);
  let report = buildReport(roadmap, progress);
  if (options.verify) {
    const { verifyAll, describeFindings } = await import("./ci.js");
    const { timeoutSeconds } = await import("./check.js");
    const verified = await verifyAll(roadmap, workspace, progress, options);
    report = verified.report;
    for (const line of describeFindings(report, verified.verdicts, timeoutSeconds(options))) printError(line);
  }
  const text = await renderBadge(report, format);
  if (options.out) {
    let file = resolve(options.cwd ?? process.cwd(), options.out);
    if (options.out.endsWith("/") || (existsSync(file) && statSync(file).isDirectory())) file = join(file, BADGE_FILES[format]);
    mkdirSync(dirname(file), { recursive: true });
    writeReplacing(file, text);
    printError(`Wrote ${file}`);
  } else {
    process.stdout.write(text);
  }
  if (report.regressions.length) throw new ExitError(ExitCode.failed);
}
