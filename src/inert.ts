// Text from outside labforge made inert for where it goes: one function per destination. A guest's answers (verify's
// facts, run's output, the serial console) and the values a user hands us are untrusted: in an XML report they must
// stay XML characters, in Markdown they must not become links, images, HTML or emphasis, and on a terminal they must
// not become control sequences (colours, cursor moves, window titles, hyperlinks, a bracketed-paste trap).
// Escaping of the lab's own values for generated files lives in render/escape.ts; this module is for text we only show.

/** Characters XML 1.0 cannot carry at all, not even as references (its Char production: tab, LF, CR, U+0020-U+D7FF,
 *  U+E000-U+FFFD, U+10000-U+10FFFF), plus DEL and the C1 controls, which it allows but a report has no use for.
 *  With the `u` flag the surrogate range matches only an unpaired surrogate. */
const NOT_XML = /[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Text fit for an XML 1.0 document: every character XML cannot carry (C0 controls but tab, LF and CR, DEL, C1,
 *  U+FFFE, U+FFFF, unpaired surrogates) becomes '?'. Markup characters are left to escape.ts's `xml`. */
export function xmlChars(text: string): string {
  return text.replace(NOT_XML, '?');
}

/** Characters that change how text around them is shown while showing nothing themselves: bidirectional controls
 *  (U+202A-U+202E, U+2066-U+2069, LRM, RLM, ALM), zero-width and other format characters (Unicode's Cf: soft hyphen,
 *  U+200B-U+200D, U+2060, BOM, tags), line and paragraph separators, spaces other than U+0020, fillers that render
 *  blank (Hangul fillers, U+034F, Khmer's invisible vowels) and variation selectors. */
const INVISIBLE =
  // eslint-disable-next-line no-misleading-character-class -- combining fillers and selectors are listed on purpose
  /[\p{Cf}\p{Zl}\p{Zp}\u00a0\u034f\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200a\u202f\u205f\u3000\u3164\ufe00-\ufe0f\uffa0\u{e0100}-\u{e01ef}]/gu;

/** A character as JavaScript would write it: `\u202e`, or `\u{e0041}` above U+FFFF. */
export function codeEscape(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** Invisible and bidirectional characters shown escaped (`\u202e`): the rest of the text stays as it is. */
export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, codeEscape);
}

/** Every character outside printable ASCII (and tab) escaped, `\u0430` for a Cyrillic a that looks like a Latin one:
 *  for messages that quote a value whose exact characters matter (a validation message), so a homoglyph, a
 *  bidirectional override or a zero-width space shows itself. */
export function asciiOnly(text: string): string {
  return text.replace(/[^\t\u0020-\u007e]/gu, codeEscape);
}

const ESC = '\u001b';
/** A terminal's control sequences, 7-bit (ESC ...) and 8-bit (C1): CSI (ESC [ or U+009B, parameters, intermediates,
 *  a final byte: colours, cursor moves, bracketed paste); OSC, DCS, SOS, PM and APC strings (ESC ] P X ^ _, or U+009D
 *  U+0090 U+0098 U+009E U+009F) up to BEL or ST (ESC \ or U+009C) or the end of the text: window titles, hyperlinks,
 *  clipboard writes; any other ESC with its intermediates and final byte (charset switches, resets). */
const SEQUENCES = new RegExp(
  [
    `(?:${ESC}\\[|\\u009b)[0-?]*[ -/]*[@-~]?`,
    `(?:${ESC}[\\]PX^_]|[\\u0090\\u0098\\u009d-\\u009f])[^\\u0007\\u009c${ESC}\\n]*(?:\\u0007|\\u009c|${ESC}\\\\)?`,
    `${ESC}[ -/]*[0-~]?`,
  ].join('|'),
  'g',
);

/** Text fit for a terminal: no escape sequence (7-bit or 8-bit), no control character but tab and newline (a
 *  carriage return could overwrite what labforge printed before it on the line), no C1 control (U+0080-U+009F: a
 *  terminal in UTF-8 reads U+009B as CSI and U+009D as OSC); invisible and bidirectional characters escaped
 *  (`\u202e`) and unpaired surrogates as U+FFFD. */
export function terminalText(text: string): string {
  return (
    showInvisible(text.replace(SEQUENCES, ''))
      // eslint-disable-next-line no-control-regex -- every control character but tab and LF
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
      .replace(/[\ud800-\udfff]/gu, '\ufffd')
  );
}

/** One line for a terminal: terminalText, and a line break inside it shown as a space (it cannot start a line that
 *  looks like labforge's own). */
export function terminalLine(text: string): string {
  return terminalText(text).replace(/\n/g, ' ');
}

/** The ASCII characters Markdown (CommonMark, GitHub's flavour with its tables, strikethrough, autolinks, math,
 *  mentions and issue references) gives a meaning: each becomes a numeric character reference, which CommonMark
 *  shows as the character and never reads as markup. Letters, digits, space and `,;?'"/%+-=` stay as they are: the
 *  last three mean something only at the start of a block, and the text is always inside a line. */
const MARKDOWN_ACTIVE = /[!#$&()*.:<>@[\\\]^_`{|}~]/g;

/** Text for inline Markdown (a table cell, a line of a summary): line breaks as spaces; control characters,
 *  unpaired surrogates, U+FFFE and U+FFFF as '?'; invisible and bidirectional characters escaped (`\u202e`); then
 *  every character that could open a link, an image, HTML, emphasis, code, a table cell, an autolink, math or a
 *  mention as a character reference (`[` is `&#91;`). What a viewer shows is the text itself, nothing it builds. */
export function markdownText(text: string): string {
  const oneLine = text.replace(/\r\n|[\t\n\r\u0085\u2028\u2029]/g, ' ');
  // eslint-disable-next-line no-control-regex -- the C0 and DEL characters xmlChars keeps (tab)
  const printable = xmlChars(oneLine).replace(/[\u0000-\u001f\u007f]/g, '?');
  return showInvisible(printable).replace(MARKDOWN_ACTIVE, (c) => `&#${c.charCodeAt(0)};`);
}
