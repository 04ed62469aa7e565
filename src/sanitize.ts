// Text from outside roadmap (a roadmap folder's content, a verifier's output) is printed to a terminal, where
// escape sequences act: clear the screen, rewrite the clipboard (OSC 52), retitle the window, hide text. Such
// text is cleaned where it enters the program; roadmap's own colours are added after, by src/ui.

// ESC-introduced sequences (CSI, OSC/DCS/PM/APC strings, two-character escapes), their 8-bit C1 forms, and every
// other control character but newline and tab.
const CONTROL_SEQUENCES =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|(?:\u001b[\]P^_X]|[\u0090\u0098\u009d\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)|\u001b[ -/]*[0-~]|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function stripControl(text: string): string {
  return text.replace(CONTROL_SEQUENCES, "");
}
