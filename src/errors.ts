/** Exit codes, documented in README.md. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** A problem the user can fix: printed as one line (plus an optional hint), never with a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** The command already printed what went wrong (a failed check or quiz); only the exit code is left to set. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = "ExitError";
  }
}

/** Content that does not match the format: every problem found, each one line naming the file and field. */
export class ContentError extends UserError {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"), ExitCode.usage);
    this.name = "ContentError";
  }
}
