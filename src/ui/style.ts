import type { ChalkInstance } from "chalk";

/** Colour only for a person at a terminal: never in pipes or CI logs, never with NO_COLOR set. */
export const plain = Boolean(process.env.NO_COLOR) || (!process.stdout.isTTY && !process.env.FORCE_COLOR);

// In plain output every style is the identity, so chalk (and its terminal probing) is not even loaded: start-up
// time matters most for `roadmap status` in scripts and CI.
const identity: ChalkInstance = new Proxy(((...text: unknown[]) => text.join(" ")) as ChalkInstance, {
  get: () => identity,
});

async function colours(): Promise<ChalkInstance> {
  const { Chalk, supportsColor } = await import("chalk");
  return new Chalk({ level: supportsColor ? supportsColor.level : 1 });
}

export const style: ChalkInstance = plain ? identity : await colours();

export function print(text = ""): void {
  process.stdout.write(text + "\n");
}

export function printError(text: string): void {
  process.stderr.write(text + "\n");
}
