import { describe, expect, it } from "vitest";
import { trustDecision, type TrustFacts } from "../../src/trust.js";

const base: TrustFacts = { roadmapDir: "/home/me/their-roadmap", packageRoot: "/opt/roadmap", remembered: [], flag: false, interactive: false };

describe("trustDecision", () => {
  it.each<[string, Partial<TrustFacts>, string]>([
    ["the bundled roadmap is always trusted", { roadmapDir: "/opt/roadmap" }, "trusted"],
    ["a folder under the package is not the bundled roadmap", { roadmapDir: "/opt/roadmap/node_modules/x" }, "refuse"],
    ["--trust trusts any folder", { flag: true }, "trusted"],
    ["a folder trusted before is trusted", { remembered: ["/elsewhere", "/home/me/their-roadmap"] }, "trusted"],
    ["a remembered parent folder does not cover its children", { remembered: ["/home/me"] }, "refuse"],
    ["on a terminal, an unknown folder is asked about", { interactive: true }, "ask"],
    ["without a terminal, an unknown folder is refused", {}, "refuse"],
  ])("%s", (_name, facts, expected) => {
    expect(trustDecision({ ...base, ...facts })).toBe(expected);
  });
});
