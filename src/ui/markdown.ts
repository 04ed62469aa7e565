import { Marked } from "marked";
import { markedTerminal } from "marked-terminal";
import { plain } from "./style.js";

// marked-terminal colours with its own chalk; in plain output (a pipe, NO_COLOR) every element stays plain text.
const PLAIN_STYLES = Object.fromEntries(
  ["code", "blockquote", "html", "heading", "firstHeading", "hr", "listitem", "table", "paragraph", "strong", "em", "codespan", "del", "link", "href"].map(
    (element) => [element, (text: string) => text],
  ),
);

/** Renders a lesson or prompt for the terminal: headings, lists, code blocks (highlighted on a colour terminal). */
export function renderMarkdown(markdown: string): string {
  const width = Math.min(process.stdout.columns || 100, 100);
  const marked = new Marked(markedTerminal({ width, reflowText: true, tab: 2, emoji: false, ...(plain ? PLAIN_STYLES : {}) }, { ignoreIllegals: true }));
  return (marked.parse(markdown) as string).trimEnd();
}
