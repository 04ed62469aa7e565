import { runVerifiers, type ExerciseVerdict, type VerifyJob, type VerifyOptions } from "./verify.js";

export interface BatchOptions extends VerifyOptions {
  /** Batches (pytest processes) running at once. */
  parallel: number;
  /** Timeout of each exercise re-run alone after its batch timed out. */
  singleTimeoutMs: number;
  /** The timeout of a run of these jobs, when it depends on them (default: timeoutMs, or singleTimeoutMs alone). */
  timeoutFor?: (jobs: VerifyJob[]) => number;
  onBatchStart?: (index: number, jobs: VerifyJob[]) => void;
  onBatchDone?: (index: number, verdicts: ExerciseVerdict[]) => void;
}

/**
 * Runs batches of verifier jobs, one pytest process per batch and `parallel` at a time; the verdicts come back
 * in the order of the batches and their jobs. A batch that times out, or that one exercise tampered with (it
 * exited the interpreter early, or changed pytest), is re-run one job at a time, so one exercise cannot take the
 * verdicts of the others with it.
 */
export async function runBatches(groups: VerifyJob[][], options: BatchOptions): Promise<ExerciseVerdict[][]> {
  const results: ExerciseVerdict[][] = [];
  await inParallel(groups.map((group, index) => ({ group, index })), options.parallel, async ({ group, index }) => {
    options.onBatchStart?.(index, group);
    let { verdicts } = await runVerifiers(group, { ...options, timeoutMs: options.timeoutFor?.(group) ?? options.timeoutMs });
    if (group.length > 1 && verdicts.some((v) => v.status === "timeout" || v.status === "tampered")) {
      const single = (job: VerifyJob) => ({ ...options, timeoutMs: options.timeoutFor?.([job]) ?? options.singleTimeoutMs });
      verdicts = (await Promise.all(group.map((job) => runVerifiers([job], single(job))))).map((run) => run.verdicts[0]!);
    }
    results[index] = verdicts;
    options.onBatchDone?.(index, verdicts);
  });
  return results;
}

/** Splits items into at most `count` groups of near-equal size, keeping their order within each group. */
export function splitEvenly<T>(items: T[], count: number): T[][] {
  const groups = Math.max(1, Math.min(count, items.length));
  return Array.from({ length: groups }, (_, g) => items.filter((_, i) => i % groups === g)).filter((group) => group.length);
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
