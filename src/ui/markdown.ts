import { Marked } from "marked";
import { markedTerminal } from "marked-terminal";

/** Renders a lesson or prompt for the terminal: headings, lists, code blocks (highlighted on a colour terminal). */
export function renderMarkdown(markdown: string): string {
  const width = Math.min(process.stdout.columns || 100, 100);
  const marked = new Marked(markedTerminal({ width, reflowText: true, tab: 2, emoji: false }, { ignoreIllegals: true }));
  return (marked.parse(markdown) as string).trimEnd();
}
