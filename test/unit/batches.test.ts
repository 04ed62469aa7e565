import { describe, expect, it } from "vitest";
import { splitEvenly } from "../../src/verify/batches.js";

describe("splitEvenly (exercises across pytest processes)", () => {
  it.each([
    [5, 2, [[0, 2, 4], [1, 3]]],
    [4, 4, [[0], [1], [2], [3]]],
    [2, 5, [[0], [1]]],
    [3, 1, [[0, 1, 2]]],
    [3, 0, [[0, 1, 2]]],
    [0, 3, []],
  ])("%i items in at most %i groups", (count, groups, expected) => {
    const items = Array.from({ length: count }, (_, i) => i);
    const split = splitEvenly(items, groups);
    expect(split).toEqual(expected);
    expect(split.flat().sort()).toEqual(items);
  });
});
