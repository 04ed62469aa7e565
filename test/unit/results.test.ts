import { describe, expect, it } from "vitest";
import { lockDifferences, testsLockText } from "../../src/content/tests-lock.js";
import { parseJunit } from "../../src/verify/results.js";

// What pytest (7 and 9) writes with -o junit_family=xunit1 and the roadmap_pytest plugin's `rules` property.
const junit = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="4">
<testcase classname="ex-a.test_probe" name="test_one" file="ex-a/test_probe.py" line="3" time="0.001"><properties><property name="rules" value="a b" /></properties><failure message="AssertionError: one must hold&#10;assert 1 == 2">...</failure></testcase>
<testcase classname="ex-a.test_probe.TestK" name="test_two[p::q]" file="ex-a/test_probe.py" line="8" time="0.000"><properties><property name="rules" value="c" /></properties></testcase>
<testcase classname="ex-a.test_probe" name="test_untagged" file="ex-a/test_probe.py" line="13" time="0.000"><properties><property name="rules" value="" /></properties></testcase>
<testcase classname="" name="ex-b.test_other" time="0.000"><error message="collection failure">E   ModuleNotFoundError: No module named 'other'</error></testcase>
</testsuite></testsuites>`;

describe("parseJunit: node ids and rules", () => {
  it("gives each test its node id relative to the exercise folder and its rule ids", () => {
    expect(parseJunit(junit).map(({ exercise, id, rules, outcome }) => ({ exercise, id, rules, outcome }))).toEqual([
      { exercise: "ex-a", id: "test_probe.py::test_one", rules: ["a", "b"], outcome: "failed" },
      { exercise: "ex-a", id: "test_probe.py::TestK::test_two[p::q]", rules: ["c"], outcome: "passed" },
      { exercise: "ex-a", id: "test_probe.py::test_untagged", rules: [], outcome: "passed" },
      { exercise: "ex-b", id: undefined, rules: undefined, outcome: "error" },
    ]);
  });
});

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
