// The GitHub actions this project writes into workflows, and the major version of each: one list, shared by the
// workflow `roadmap init` writes and the ci-workflow exercise's reference solution (a test holds them equal).
//
// NOTE: majors current in late 2026, from the actions' release notes and the upgrade pull requests that quote
// them: checkout v7.0.1 (July 2026), setup-node v7.0.0 (July 2026), setup-python v7.0.0 (July 2026),
// upload-artifact v7.0.1 (April 2026; there is no v8), download-artifact v8.0.1 (March 2026), cache v6.1.0
// (June 2026). All of them run on the runner's Node 24. `cache` is here for the exercises that teach it; the
// roadmap workflow caches npm and pip through setup-node and setup-python.
export const ACTION_MAJORS = {
  "actions/checkout": "v7",
  "actions/setup-node": "v7",
  "actions/setup-python": "v7",
  "actions/upload-artifact": "v7",
  "actions/download-artifact": "v8",
  "actions/cache": "v6",
} as const;

export type ActionName = keyof typeof ACTION_MAJORS;

/** `uses:` for an action at its current major, e.g. `actions/checkout@v7`. */
export function uses(action: ActionName): string {
  return `${action}@${ACTION_MAJORS[action]}`;
}
