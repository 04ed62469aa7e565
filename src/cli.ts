// Wires commands, flags and help. Each action lazy-imports its command so a run loads only what it uses; the
// two commands run most often (`status`, `next`) are small and imported up front, which saves module loads.
import { Command, Option } from "commander";
import { next } from "./commands/next.js";
import { status } from "./commands/status.js";
import { packageRoot, readPackageInfo } from "./package-info.js";
import { runnableHere } from "./ui/command.js";
import { print } from "./ui/style.js";

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").filter(Boolean)];
}

function example(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((line) => `  $ ${line}`).join("\n")}`;
}

export function buildProgram(): Command {
  const program = new Command("roadmap")
    .description("Backend development for AI + finance apps, for people who know Python: lessons, exercises, quizzes.")
    .option("-v, --version", "print the version, and the commit of a git clone or git install")
    .option("-w, --workspace <dir>", "your workspace (default: ROADMAP_WORKSPACE, the nearest one above here, or the last one used)")
    .option("--roadmap <dir>", "load another roadmap folder of the same format instead of the bundled one")
    .option("--trust", "run the verifiers of a --roadmap folder without asking (they are Python code from that folder)")
    .showHelpAfterError("(run roadmap --help for usage)")
    // Help and usage errors show their examples in the form that runs here, like everything roadmap prints.
    .configureOutput({ writeOut: (text) => process.stdout.write(runnableHere(text)), writeErr: (text) => process.stderr.write(runnableHere(text)) })
    .exitOverride()
    // The root action only answers --version (which may ask git for the commit); anything else is what commander
    // says without a root action: an unknown command, or the help.
    .allowExcessArguments()
    .action(async (opts: { version?: boolean }) => {
      // NOTE: unknownCommand() is commander's own message with its "did you mean" (public since v7, not in its types).
      if (program.args.length) (program as Command & { unknownCommand(): never }).unknownCommand();
      if (!opts.version) program.help({ error: true });
      const { describeVersion } = await import("./source/tool-source.js");
      print(await describeVersion(readPackageInfo(), packageRoot));
    })
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 a check or quiz did not pass, 2 usage, content or input error, 130 interrupted.",
    );

  program
    .command("next")
    .description("say exactly what to do next, and offer to start it")
    .option("--json", "print the step as JSON")
    .addHelpText("after", example("roadmap next", "roadmap next --json"))
    .action(async (opts, cmd: Command) => next(cmd.optsWithGlobals()));

  program
    .command("status")
    .description("one line per stage: checklist, quiz best score, exercises, and the overall share")
    .option("--json", "print the status as JSON")
    .option("--exercises", "list every exercise under its stage")
    .addHelpText("after", example("roadmap status", "roadmap status --exercises"))
    .action(async (opts, cmd: Command) => status(cmd.optsWithGlobals()));

  program
    .command("init [dir]")
    .description("create your own workspace: every exercise's starter files, a README, a package.json that pins this tool, the badge workflow")
    .option("--no-install", "write package.json but do not run npm install in the workspace")
    .addHelpText("after", example("roadmap init ~/code/my-backend-roadmap", "roadmap init ../ws --no-install"))
    .action(async (dir: string | undefined, opts, cmd: Command) => (await import("./commands/init.js")).init(dir, cmd.optsWithGlobals()));

  program
    .command("upgrade")
    .description("bring your workspace up to date with this tool: package.json, the workflow, new and changed READMEs and starters (never a file you edited)")
    .option("-y, --yes", "apply without asking")
    .option("--dry-run", "only list what would change")
    .option("--no-install", "do not run npm install after package.json changed")
    .addHelpText("after", example("roadmap upgrade --dry-run", "roadmap upgrade --yes"))
    .action(async (opts, cmd: Command) => (await import("./commands/upgrade.js")).upgrade(cmd.optsWithGlobals()));

  program
    .command("learn [stage]")
    .description("read a stage's lesson (default: the stage you are in)")
    .addHelpText("after", example("roadmap learn", "roadmap learn databases", "roadmap learn 3"))
    .action(async (stage: string | undefined, opts, cmd: Command) => (await import("./commands/learn.js")).learn(stage, cmd.optsWithGlobals()));

  program
    .command("checklist [stage]")
    .description("tick what you can do: a checkbox on a terminal, or --done/--undo for scripts")
    .addOption(new Option("--done <item-id>", "tick an item (repeatable, or comma-separated)").argParser(collect))
    .addOption(new Option("--undo <item-id>", "untick an item (repeatable, or comma-separated)").argParser(collect))
    .addHelpText("after", example("roadmap checklist", "roadmap checklist core-python --done abc-properties,exception-hierarchy"))
    .action(async (stage: string | undefined, opts, cmd: Command) =>
      (await import("./commands/checklist.js")).checklist(stage, cmd.optsWithGlobals()),
    );

  program
    .command("quiz [stage]")
    .description("take a stage's quiz (default: the stage you are in): the answer and why after each question")
    .option("--seed <n>", "shuffle the options as in an earlier run (the quiz prints its seed)")
    .option("--answers <answers>", 'answer without a terminal: "q1=a,q2=b+c,q3=true" (option ids), a JSON object, or - for JSON on stdin')
    .option("--all", "retake every question (by default a quiz taken before asks only its new or changed questions)")
    .addHelpText("after", example("roadmap quiz", "roadmap quiz databases --seed 7", 'roadmap quiz core-python --answers "q1=b,q2=a+c,q3=false"'))
    .action(async (stage: string | undefined, opts, cmd: Command) => (await import("./commands/quiz.js")).quiz(stage, cmd.optsWithGlobals()));

  program
    .command("review")
    .description("spaced review: the quiz questions that are due again, from every stage")
    .option("--limit <n>", "at most this many cards (default 20)")
    .option("--answers <answers>", 'answer without a terminal, one answer per due card: "q1=a,q2=b+c", JSON, or - for stdin')
    .addHelpText("after", example("roadmap review", "roadmap review --limit 5"))
    .action(async (opts, cmd: Command) => (await import("./commands/review.js")).review(cmd.optsWithGlobals()));

  const pythonOption = () => new Option("--python <path>", "the Python to run verifiers with (default: ROADMAP_PYTHON, the workspace .venv, python3)");
  const timeoutOption = () => new Option("--timeout <seconds>", "stop a verifier that runs longer (default 60)");

  program
    .command("check [exercise]")
    .description("run an exercise's verifier on your files (default: the current exercise) and record a pass")
    .addOption(pythonOption())
    .addOption(timeoutOption())
    .option("--json", "print the result as JSON")
    .addHelpText("after", example("roadmap check", "roadmap check portfolio-oop --timeout 120"))
    .action(async (exercise: string | undefined, opts, cmd: Command) => (await import("./commands/check.js")).check(exercise, cmd.optsWithGlobals()));

  program
    .command("hint [exercise]")
    .description("one more hint for an exercise (default: the current one); the number used is saved")
    .option("--rule <id>", "the hint written for this rule (a failing check names it) instead of the next one")
    .addHelpText("after", example("roadmap hint", "roadmap hint ledger-transactions", "roadmap hint portfolio-oop --rule exact-decimal-cash"))
    .action(async (exercise: string | undefined, opts, cmd: Command) => (await import("./commands/hint.js")).hint(exercise, cmd.optsWithGlobals()));

  program
    .command("solution <exercise>")
    .description("the reference solution, once the exercise passes (before that only with --yes, and it is recorded)")
    .option("-y, --yes", "show it even though the exercise does not pass yet")
    .addHelpText("after", example("roadmap solution portfolio-oop"))
    .action(async (exercise: string, opts, cmd: Command) => (await import("./commands/solution.js")).solution(exercise, cmd.optsWithGlobals()));

  program
    .command("reset <exercise>")
    .description("restore an exercise's starter files; your current files are kept in .roadmap/backups/")
    .addHelpText("after", example("roadmap reset portfolio-oop"))
    .action(async (exercise: string, opts, cmd: Command) => (await import("./commands/reset.js")).reset(exercise, cmd.optsWithGlobals()));

  program
    .command("watch [exercise]")
    .description("re-check the current exercise every time you save a file of it; a pass moves you on")
    .addOption(pythonOption())
    .addOption(timeoutOption())
    .addHelpText("after", example("roadmap watch", "roadmap watch ledger-transactions"))
    .action(async (exercise: string | undefined, opts, cmd: Command) => (await import("./commands/watch.js")).watch(exercise, cmd.optsWithGlobals()));

  program
    .command("setup")
    .description("create the workspace .venv and install requirements.txt into it")
    .addOption(pythonOption())
    .option("--force", "recreate the .venv without asking (e.g. with another --python)")
    .addHelpText("after", example("roadmap setup", "roadmap setup --python python3.12", "roadmap setup --python python3.12 --force"))
    .action(async (opts, cmd: Command) => (await import("./commands/setup.js")).setup(cmd.optsWithGlobals()));

  program
    .command("doctor")
    .description("check Node, Python, the venv, pytest, every package and service the exercises need")
    .addOption(pythonOption())
    .addHelpText("after", example("roadmap doctor"))
    .action(async (opts, cmd: Command) => (await import("./commands/doctor.js")).doctor(cmd.optsWithGlobals()));

  const jobsOption = () => new Option("-j, --jobs <n>", "pytest processes to split the exercises across, run at once (default: the number of CPUs)");

  program
    .command("ci")
    .description("for CI: re-verify every exercise on the committed code, then write the progress badge and a summary")
    .addOption(pythonOption())
    .addOption(timeoutOption())
    .addOption(jobsOption())
    .option("--out <dir>", "where to write roadmap.svg, endpoint.json and summary.md (default: .roadmap/badge/ in the workspace)")
    .addHelpText(
      "after",
      example("roadmap ci", "roadmap ci --out badge --jobs 2") +
        "\n\nExit 0 with the badge written; 1 when an exercise that progress records as passed fails now; 2 for a corrupt progress file.",
    )
    .action(async (opts, cmd: Command) => (await import("./commands/ci.js")).ci(cmd.optsWithGlobals()));

  program
    .command("badge")
    .description("the progress badge from your recorded progress (--verify: re-run the verifiers first, like ci)")
    .addOption(new Option("--format <format>", "what to print or write").choices(["svg", "json", "markdown"]).default("svg"))
    .option("--out <file-or-dir>", "write to this file, or into this folder as roadmap.svg, endpoint.json or summary.md (default: stdout)")
    .option("--verify", "count only exercises whose verifier passes now")
    .addOption(pythonOption())
    .addOption(timeoutOption())
    .addOption(jobsOption())
    .addHelpText("after", example("roadmap badge > roadmap.svg", "roadmap badge --format markdown", "roadmap badge --verify --format json --out public/"))
    .action(async (opts, cmd: Command) => (await import("./commands/badge.js")).badge(cmd.optsWithGlobals()));

  const dev = program.command("dev").description("tools for authors of this or any other roadmap");
  dev
    .command("check [exercise...]")
    .description(
      "validate all content; for every exercise the solution must pass, the starter and each wrong solution fail, every rule be covered",
    )
    .addOption(pythonOption())
    .option("-j, --jobs <n>", "pytest processes to run at once (default: the number of CPUs)")
    .option("--json", "print the report as JSON")
    .option("--update-lock", "record the tests the solution runs (and their rules) in each exercise's tests.lock.json")
    .option("--no-fork", "start a new Python for every run, as roadmap check does (by default each exercise's runs are forked from one process that imported its frameworks once)")
    .addHelpText("after", example("roadmap dev check", "roadmap dev check portfolio-oop --python .venv/bin/python", "roadmap dev check portfolio-oop --update-lock"))
    .action(async (exercises: string[], opts, cmd: Command) => (await import("./commands/dev-check.js")).devCheck(exercises, cmd.optsWithGlobals()));
  dev
    .command("mutate [exercise...]")
    .description("change each reference solution in small ways (an operator, a constant, a dropped call...): the verifier must catch every change")
    .addOption(pythonOption())
    .option("-j, --jobs <n>", "pytest processes to run at once (default: the number of CPUs)")
    .option("--max <n>", "at most n mutants per exercise, picked evenly over the kinds and the code (default 60)")
    .option("--no-fork", "start a new Python for every run, as roadmap check does (by default each exercise's runs are forked from one process that imported its frameworks once)")
    .option("--json", "print the report as JSON")
    .addHelpText("after", example("roadmap dev mutate portfolio-oop", "roadmap dev mutate --python /usr/bin/python3 --jobs 2 --json"))
    .action(async (exercises: string[], opts, cmd: Command) => (await import("./commands/dev-mutate.js")).devMutate(exercises, cmd.optsWithGlobals()));

  return program;
}
