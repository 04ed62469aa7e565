import { describe, expect, it } from "vitest";
import { shortHash } from "../../src/hash.js";
import { planFiles, recordedAfter } from "../../src/workspace-plan.js";

describe("what upgrade does to each file", () => {
  const desired = new Map([["a.py", "new\n"]]);
  const old = "old\n";
  it.each([
    ["missing: added", undefined, {}, {}, "add"],
    ["already the new text: nothing to do", "new\n", {}, {}, "same"],
    ["as roadmap wrote it: replaced", old, { "a.py": shortHash(old) }, {}, "update"],
    ["edited since roadmap wrote it: kept", "mine\n", { "a.py": shortHash(old) }, {}, "keep"],
    ["no record (an earlier version made it) and unknown: kept", old, {}, {}, "keep"],
    ["no record, but what an earlier version is known to have written: replaced", old, {}, { "a.py": [shortHash(old)] }, "update"],
  ])("%s", (_, current, recorded, earlier, action) => {
    expect(planFiles(desired, () => current, recorded, earlier)).toEqual([{ path: "a.py", action, text: "new\n" }]);
  });

  it("package.json is merged (the learner's fields kept), so it is always brought up to date", () => {
    expect(planFiles(new Map([["package.json", "{}\n"]]), () => '{"x":1}\n', {}, {})[0]!.action).toBe("update");
  });

  it("records what it wrote, and keeps the old record of a file it kept", () => {
    const plan = planFiles(
      new Map([
        ["added", "1"],
        ["kept", "2"],
        ["kept-unknown", "3"],
      ]),
      (path) => (path === "added" ? undefined : "mine"),
      { kept: shortHash("theirs") },
      {},
    );
    expect(recordedAfter(plan, { kept: shortHash("theirs") })).toEqual({ added: shortHash("1"), kept: shortHash("theirs") });
  });
});
