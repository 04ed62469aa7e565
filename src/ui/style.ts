import type { ChalkInstance } from "chalk";
import { runnableHere } from "./command.js";

/** Colour only for a person at a terminal: never in pipes or CI logs, never with NO_COLOR set. */
export const plain = Boolean(process.env.NO_COLOR) || (!process.stdout.isTTY && !process.env.FORCE_COLOR);

// In plain output every style is the identity, so chalk (and its terminal probing) is not even loaded: start-up
// time matters most for `roadmap status` in scripts and CI.
const identity: ChalkInstance = new Proxy(((...text: unknown[]) => text.join(" ")) as ChalkInstance, {
  get: () => identity,
});

export let style: ChalkInstance = identity;

/** Loads chalk when the output is in colour; main calls it before any command runs. */
export async function loadColours(): Promise<void> {
  if (plain) return;
  const { Chalk, supportsColor } = await import("chalk");
  style = new Chalk({ level: supportsColor ? supportsColor.level : 1 });
}

// NOTE: every command roadmap prints is written `roadmap <command>`; here it takes the form that runs where the
// learner is (see ui/command.ts), so no message can send them to `roadmap: command not found` or to npx's registry.
export function print(text = ""): void {
  process.stdout.write(runnableHere(text) + "\n");
}

export function printError(text: string): void {
  process.stderr.write(runnableHere(text) + "\n");
}
