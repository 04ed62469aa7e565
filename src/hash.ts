/**
 * A short, stable 64-bit hash (two FNV-1a passes) as 16 hex characters: for cache file names and for noticing
 * that a quiz question changed. Not for security. node:crypto would cost `roadmap status` more start-up time
 * than all of its own work.
 */
export function shortHash(text: string): string {
  return fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x050c5d1f);
}

function fnv1a(text: string, seed: number): string {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}
