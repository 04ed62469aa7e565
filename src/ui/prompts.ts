// The one module that talks to the prompt library. Tests replace it; commands never import @inquirer directly.
import { UserError } from "../errors.js";

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** Fails at once, naming the non-interactive way, instead of waiting for input that will never come. */
export function requireInteractive(what: string, alternative: string): void {
  if (!isInteractive()) {
    throw new UserError(`${what} needs an interactive terminal, and this is not one.`, 2, `Without a terminal use: ${alternative}`);
  }
}

export async function confirm(message: string, defaultAnswer = true): Promise<boolean> {
  const { confirm: ask } = await import("@inquirer/prompts");
  return ask({ message, default: defaultAnswer });
}

/** Asked once per roadmap folder from outside the package, before any of its verifiers runs. */
export async function confirmTrust(dir: string): Promise<boolean> {
  return confirm(`This roadmap's verifiers run code from ${dir}. Trust it?`, false);
}

export interface Choice<T> {
  value: T;
  name: string;
  checked?: boolean;
  description?: string;
}

/** `required`: the answer must tick at least one choice (a quiz's "select all that apply"). */
export async function checkbox<T>(message: string, choices: Choice<T>[], options: { required?: boolean } = {}): Promise<T[]> {
  const { checkbox: ask } = await import("@inquirer/prompts");
  return ask({ message, choices, pageSize: 12, loop: false, required: options.required ?? false });
}

export async function select<T>(message: string, choices: Choice<T>[]): Promise<T> {
  const { select: ask } = await import("@inquirer/prompts");
  return ask({ message, choices, loop: false });
}

export async function input(message: string, defaultValue?: string): Promise<string> {
  const { input: ask } = await import("@inquirer/prompts");
  return ask({ message, default: defaultValue });
}
