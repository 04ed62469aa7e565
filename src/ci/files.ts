// The edge of the badge: badge-maker (loaded only here, only when a badge is drawn) and the files written.
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { badgeOf, endpointJson, markdownSummary, type Badge, type ProgressReport } from "./report.js";

export const BADGE_FORMATS = ["svg", "json", "markdown"] as const;
export type BadgeFormat = (typeof BADGE_FORMATS)[number];

/** The file each format is written to inside an output folder (the workflow publishes these names). */
export const BADGE_FILES: Record<BadgeFormat, string> = { svg: "roadmap.svg", json: "endpoint.json", markdown: "summary.md" };

export async function renderSvg(badge: Badge): Promise<string> {
  const { makeBadge } = await import("badge-maker");
  return makeBadge({ label: badge.label, message: badge.message, color: badge.color }) + "\n";
}

export async function renderBadge(report: ProgressReport, format: BadgeFormat): Promise<string> {
  const badge = badgeOf(report.complete, report.total);
  switch (format) {
    case "svg":
      return renderSvg(badge);
    case "json":
      return JSON.stringify(endpointJson(badge), null, 2) + "\n";
    case "markdown":
      return markdownSummary(report);
  }
}

/** Written aside and renamed over: a symbolic link at `file` is replaced, never written through. */
export function writeReplacing(file: string, text: string): void {
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, text);
  renameSync(aside, file);
}

/** Writes every format into `dir`; returns the paths written. */
export async function writeBadgeFiles(dir: string, report: ProgressReport): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const format of BADGE_FORMATS) {
    const file = join(dir, BADGE_FILES[format]);
    writeReplacing(file, await renderBadge(report, format));
    written.push(file);
  }
  return written;
}

/** GitHub Actions shows this file on the run's page; other jobs may have written to it already. */
export function appendStepSummary(file: string, report: ProgressReport): void {
  appendFileSync(file, "\n" + markdownSummary(report));
}
