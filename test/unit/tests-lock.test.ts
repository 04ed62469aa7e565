import { describe, expect, it } from "vitest";
import { lockDifferences, testsLockText } from "../../src/content/tests-lock.js";

describe("tests.lock.json", () => {
  it("is written sorted, so a rewrite differs only where the tests did", () => {
    expect(testsLockText({ "test_x.py::test_b": ["r2", "r1", "r1"], "test_x.py::test_a": [] })).toBe(
      '{\n  "tests": {\n    "test_x.py::test_a": [],\n    "test_x.py::test_b": [\n      "r1",\n      "r2"\n    ]\n  }\n}\n',
    );
  });

  it.each([
    [{ "t.py::a": ["r"] }, { "t.py::a": ["r"] }, []],
    [{ "t.py::a": ["r", "s"] }, { "t.py::a": ["s", "r"] }, []],
    [{ "t.py::a": ["r"] }, {}, ["t.py::a is recorded but not collected"]],
    [{}, { "t.py::a": ["r"] }, ["t.py::a is collected but not recorded"]],
    [{ "t.py::a": ["r"] }, { "t.py::a": ["s"] }, ["t.py::a checks [s] but the record says [r]"]],
  ])("%j recorded, %j collected", (recorded, collected, expected) => {
    expect(lockDifferences(recorded, collected)).toEqual(expected);
  });
});
