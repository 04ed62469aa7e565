import { Chalk, supportsColor } from "chalk";

/** Colour only for a person at a terminal: never in pipes or CI logs, never with NO_COLOR set. */
export const plain = Boolean(process.env.NO_COLOR) || (!process.stdout.isTTY && !process.env.FORCE_COLOR);
export const style = new Chalk({ level: plain ? 0 : supportsColor ? supportsColor.level : 0 });

export function print(text = ""): void {
  process.stdout.write(text + "\n");
}

export function printError(text: string): void {
  process.stderr.write(text + "\n");
}
