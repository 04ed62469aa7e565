// The bundled curriculum is tested like code: the spec in CURRICULUM.md is the contract for what ships.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import { repoRoot } from "../helpers.js";

const roadmap = await loadRoadmap(repoRoot);
const stageIds = ["core-python", "web-apis", "databases", "auth-security", "async-scaling", "deployment", "ml-serving", "finance"];
const exerciseIds: Record<string, string[]> = {
  "core-python": ["portfolio-oop", "quote-errors-logging", "async-price-fanout", "project-env"],
  "web-apis": ["orders-crud-api", "di-and-middleware", "error-envelope", "flask-orders-blueprint"],
  databases: ["ledger-transactions", "query-optimization", "redis-quote-cache", "pg-skip-locked-jobs", "django-orm-accounts"],
  "auth-security": ["password-hashing", "jwt-oauth2-flow", "rate-limit", "cors-csrf"],
  "async-scaling": ["async-quote-aggregator", "rq-fraud-scoring", "celery-payouts", "reliable-event-queue"],
  deployment: ["dockerfile-check", "ci-workflow", "gunicorn-app-factory"],
  "ml-serving": ["fraud-model-api", "model-server-client", "llm-gateway"],
  finance: ["market-data-rest", "broker-client", "realtime-ticks-ws", "trading-bot-risk"],
};

describe("the bundled roadmap", () => {
  it("has the eight stages in order, each with the exercises the spec names", () => {
    expect(roadmap.stages.map((s) => s.id)).toEqual(stageIds);
    for (const stage of roadmap.stages) expect(stage.exercises, stage.id).toEqual(exerciseIds[stage.id]);
  });

  describe.each(roadmap.stages.map((stage) => [stage.id, stage] as const))("stage %s", (_id, stage) => {
    it("has a lesson of 900 to 2,300 words with code and links", () => {
      const words = stage.lesson.split(/\s+/).filter(Boolean).length;
      expect(words).toBeGreaterThanOrEqual(900);
      expect(words).toBeLessThanOrEqual(2300);
      expect(stage.lesson).toMatch(/```python/);
      expect(stage.lesson).toMatch(/\]\(https:\/\//);
    });

    it("has a quiz of at least 12 questions mixing every type, 3 with code", () => {
      const questions = stage.quiz.questions;
      const count = (type: string) => questions.filter((q) => q.type === type).length;
      expect(questions.length).toBeGreaterThanOrEqual(12);
      expect(count("single")).toBeGreaterThanOrEqual(1);
      expect(count("multiple")).toBeGreaterThanOrEqual(3);
      expect(count("boolean")).toBeGreaterThanOrEqual(3);
      expect(questions.filter((q) => q.code).length).toBeGreaterThanOrEqual(3);
      for (const q of questions) expect(q.explanation.length, q.id).toBeGreaterThan(60);
    });

    it("has a checklist of checkable items", () => {
      expect(stage.checklist.length).toBeGreaterThanOrEqual(5);
    });
  });

  describe.each([...roadmap.exercises.values()].map((e) => [e.id, e] as const))("exercise %s", (_id, exercise) => {
    it("has a prompt, three progressive hints and two known-wrong solutions", () => {
      expect(exercise.prompt.split(/\s+/).length).toBeGreaterThan(80);
      expect(exercise.hints.length).toBeGreaterThanOrEqual(3);
      expect(exercise.wrong.length).toBeGreaterThanOrEqual(2);
      const patches = readdirSync(join(exercise.dir, "wrong")).sort();
      expect(patches).toEqual(exercise.wrong.map((w) => `${w.id}.diff`).sort());
    });
  });
});
