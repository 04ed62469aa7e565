import { describe, expect, it } from "vitest";
import type { CloneState } from "../../src/source/git.js";
import { parseRemote, splitResolvedGitSpec } from "../../src/source/remote.js";
import { sourceFromClone, sourceFromGitInstall } from "../../src/source/tool-source.js";

describe("a git remote, as npm installs it and as a CI runner fetches it", () => {
  it.each([
    ["https://github.com/o/r.git", "git+https://github.com/o/r.git", "https://github.com/o/r.git", false],
    ["https://user:ghp_secret@github.com/o/r.git", "git+https://github.com/o/r.git", "https://github.com/o/r.git", false],
    ["git@github.com:o/r.git", "git+ssh://git@github.com/o/r.git", "https://github.com/o/r.git", false],
    ["ssh://git@github.com:2222/o/r.git", "git+ssh://git@github.com:2222/o/r.git", "https://github.com/o/r.git", false],
    ["git+https://gitlab.example/o/r", "git+https://gitlab.example/o/r", "https://gitlab.example/o/r", false],
    ["git://example.org/r.git", "git://example.org/r.git", "https://example.org/r.git", false],
    ["file:///srv/git/r.git", "git+file:///srv/git/r.git", "file:///srv/git/r.git", true],
    ["/srv/git/r.git", "git+file:///srv/git/r.git", "file:///srv/git/r.git", true],
    ["../r.git", "git+file:///home/me/r.git", "file:///home/me/r.git", true],
  ])("%s", (url, npmSpec, fetchUrl, local) => {
    expect(parseRemote(url, "/home/me/clone")).toEqual({ npmSpec, fetchUrl, local });
  });

  it("refuses what it cannot read", () => {
    expect(parseRemote("ftp://example.org/r.git", "/x")).toBeUndefined();
  });

  it("splits npm's resolved git spec into repository and commit", () => {
    const commit = "a".repeat(40);
    expect(splitResolvedGitSpec(`git+ssh://git@github.com/o/r.git#${commit}`)).toEqual({ repository: "git+ssh://git@github.com/o/r.git", commit });
    expect(splitResolvedGitSpec("https://registry.npmjs.org/x/-/x-1.0.0.tgz")).toBeUndefined();
  });
});

describe("what a workspace installs from a clone of the tool", () => {
  const commit = "0123456789abcdef0123456789abcdef01234567";
  const clone = (state: Partial<CloneState>): CloneState => ({
    root: "/home/me/python-backend-roadmap",
    commit,
    branch: "main",
    remote: { name: "origin", url: "git@github.com:me/python-backend-roadmap.git" },
    uncommitted: [],
    pushed: true,
    ...state,
  });
  const workspace = "/home/me/my-backend-roadmap";

  it("a pushed commit: git+<remote>#<commit> here, the same commit over https in CI, no warning", () => {
    const source = sourceFromClone(clone({}), workspace);
    expect(source).toMatchObject({
      spec: `git+ssh://git@github.com/me/python-backend-roadmap.git#${commit}`,
      ci: { kind: "git", repository: "https://github.com/me/python-backend-roadmap.git", commit },
      installable: true,
      warnings: [],
    });
  });

  it.each([
    ["no remote", { remote: undefined }, /has no git remote, so no badge workflow was written.*git -C \S+ remote add origin <url>.*roadmap upgrade/],
    ["a dirty tree", { uncommitted: ["src/x.ts", "notes.md"] }, /2 uncommitted change\(s\) \(src\/x\.ts\): the workspace installs commit 0123456 without them.*roadmap upgrade/],
    ["a detached HEAD", { branch: undefined }, /detached HEAD: the workspace installs commit 0123456.*switch <branch>/],
    ["a commit only in this clone", { pushed: false }, /commit 0123456 is on no branch of origin yet.*git -C \S+ push origin HEAD\)/],
    ["a remote that is a folder", { remote: { name: "origin", url: "/srv/r.git" } }, /origin is a folder on this machine \(file:\/\/\/srv\/r\.git\).*cannot reach/],
  ])("%s says what is installed and how to fix it", (_, state, warning) => {
    const source = sourceFromClone(clone(state), workspace);
    expect(source.warnings).toHaveLength(1);
    expect(source.warnings[0]).toMatch(warning);
  });

  it("no remote: a file: link to the clone and no workflow (CI could not fetch it)", () => {
    const source = sourceFromClone(clone({ remote: undefined }), workspace);
    expect(source).toMatchObject({ spec: "file:../python-backend-roadmap", installable: true });
    expect(source.ci).toBeUndefined();
  });

  it("a commit only in this clone: npm could not fetch it yet, so it is not installed", () => {
    expect(sourceFromClone(clone({ pushed: false }), workspace).installable).toBe(false);
  });

  it("a git install made by npm: the same repository and commit, fetched over https in CI", () => {
    const source = sourceFromGitInstall({ repository: "git+ssh://git@github.com/me/r.git", commit });
    expect(source).toMatchObject({ spec: `git+ssh://git@github.com/me/r.git#${commit}`, ci: { kind: "git", repository: "https://github.com/me/r.git", commit }, warnings: [] });
  });
});
