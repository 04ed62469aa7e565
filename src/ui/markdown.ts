import type { ChalkInstance } from "chalk";
import { Marked, type Tokens } from "marked";
import { markedTerminal } from "marked-terminal";
import { style } from "./style.js";

export interface RenderOptions {
  /** Line width to wrap at (default: the terminal's, at most 100). */
  width?: number;
  /** The colours to use; the identity `style` of style.ts in plain output (a pipe, NO_COLOR) keeps every element plain. */
  colours?: ChalkInstance;
}

// marked-terminal's own defaults, but drawn from our chalk instance rather than its own: so a pipe or NO_COLOR gets
// plain text (style.ts decides colour once, for the whole program), and tests can render in colour without a TTY.
function elementStyles(c: ChalkInstance): Record<string, (text: string) => string> {
  const styles = {
    code: c.yellow,
    blockquote: c.gray.italic,
    html: c.gray,
    heading: c.green.bold,
    firstHeading: c.magenta.underline.bold,
    hr: c.reset,
    listitem: c.reset,
    table: c.reset,
    paragraph: c.reset,
    strong: c.bold,
    em: c.italic,
    codespan: c.yellow,
    del: c.dim.gray.strikethrough,
    link: c.blue,
    href: c.blue.underline,
  };
  // Each called with its text alone: marked-terminal passes some a second argument, which a chalk style (and
  // style.ts's plain stand-in) would join into the text as an extra space.
  return Object.fromEntries(Object.entries(styles).map(([element, paint]) => [element, (text: string) => paint(text)]));
}

// marked-terminal 7.3.1 renders a tight list item's text from `token.text`, the raw markdown, so bold, inline code
// and links in list items printed as `**x**`, backticks and `[text](url)` with marked >= 13
// (mikaelbr/marked-terminal#304, #371). The upstream fix (mikaelbr/marked-terminal#366, not released yet) parses the
// token's inline tokens instead; this extension does the same. Returning false hands every other text token back to
// marked-terminal's renderer (control characters stripped, as before).
const inlineTextInBlocks = {
  renderer: {
    text(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, token: Tokens.Text | Tokens.Escape) {
      return "tokens" in token && token.tokens?.length ? this.parser.parseInline(token.tokens) : false;
    },
  },
};

// Code blocks are highlighted by cli-highlight whenever marked-terminal's own chalk sees a colour terminal, which
// ignores NO_COLOR: in plain output they are printed as marked-terminal prints them without colour (indented).
const plainCode = (tab: string) => ({
  renderer: {
    code(token: Tokens.Code) {
      return `${tab}${token.text.split("\n").join(`\n${tab}`)}\n\n`;
    },
  },
});

/** Renders a lesson or prompt for the terminal: headings, lists, code blocks (highlighted on a colour terminal). */
export function renderMarkdown(markdown: string, options: RenderOptions = {}): string {
  const width = options.width ?? Math.min(process.stdout.columns || 100, 100);
  const colours = options.colours ?? style;
  // Tables are drawn by cli-table3, which colours borders and headings with its own colour library: off when plain.
  const plain = colours.bold("x") === "x";
  const tableOptions = plain ? { style: { head: [], border: [] } } : {};
  const marked = new Marked(
    markedTerminal({ width, reflowText: true, tab: 2, emoji: false, tableOptions, ...elementStyles(colours) }, { ignoreIllegals: true }),
    inlineTextInBlocks,
    ...(plain ? [plainCode("  ")] : []),
  );
  return (marked.parse(markdown) as string).trimEnd();
}
