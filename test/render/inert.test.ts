// Guest text made inert for where it goes (issue #18, class 5): random hostile strings through each destination's
// sanitiser and through the reports built with them, read back by real parsers: saxes (a conformant XML 1.0 parser
// that refuses a character XML cannot carry) for the JUnit report, micromark with GitHub's extensions for the Markdown
// summary; and a terminal's view of the text: no byte a terminal reads as a control.
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { SaxesParser } from 'saxes';
import { loadLabText } from '../../src/lab/load.js';
import { nodeChecks } from '../../src/lifecycle/nodes/verify.js';
import { asciiOnly, markdownText, showInvisible, terminalText, xmlChars } from '../../src/inert.js';
import { renderJunit, renderSummary, type NodeVerdict } from '../../src/render/verify-report.js';

const { lab } = loadLabText(
  'name: web\ndomain: example.com\nvips: []\nnodes:\n  - { name: n1, ip: 10.240.0.11 }\n  - { name: n2, ip: 10.240.0.12 }\n',
  '/tmp/inert/lab.yaml',
);
const timing = { timestamp: '2026-12-03T01:00:00Z', seconds: 1 };

/** Verdicts where node n1 answered `fqdn` as its hostname (the check then fails quoting it). */
function answered(fqdn: string): NodeVerdict[] {
  return lab.nodes.map((node) => {
    const facts: Record<string, string> = { fqdn: node.name === 'n1' ? fqdn : node.fqdn };
    const checks = nodeChecks(lab, node, facts);
    const problems = checks.flatMap((c) => (c.problem ? [c.problem] : []));
    return { node: node.name, ok: false, facts, problems, checks };
  });
}

/** Parses an XML document with saxes (well-formedness and XML 1.0's character set); the failure messages of n1's
 *  hostname check, as attribute and as text. */
function hostnameFailure(xml: string): { message: string; text: string } {
  const parser = new SaxesParser();
  let inSuite = false;
  let inCase = false;
  let inFailure = false;
  const out = { message: '', text: '' };
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (t) => {
    if (t.name === 'testsuite') inSuite = t.attributes.name === 'web/n1';
    if (t.name === 'testcase') inCase = inSuite && t.attributes.name === 'hostname is the FQDN';
    if (t.name === 'failure' && inCase) {
      inFailure = true;
      out.message = String(t.attributes.message);
    }
  });
  parser.on('text', (t) => {
    if (inFailure) out.text += t;
  });
  parser.on('closetag', (t) => {
    if (t.name === 'failure') inFailure = false;
  });
  parser.write(xml).close();
  return out;
}

/** What a reader sees in the summary's table: each row's cells as text (HTML by micromark with GitHub's table,
 *  strikethrough and autolink extensions, raw HTML allowed so any that got through would show), and every link,
 *  image or tag other than the table's own. */
function summaryView(md: string): { rows: string[][]; foreign: string[] } {
  const html = micromark(md, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });
  const tags = [...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase());
  const own = new Set(['h2', 'h3', 'p', 'strong', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'br', 'pre', 'code']);
  const decode = (s: string) =>
    s.replace(/&(amp|lt|gt|quot);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"' })[e]!);
  const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => decode(c[1])),
  );
  return { rows: rows.filter((r) => r.length), foreign: tags.filter((t) => !own.has(t)) };
}

/** The problem text of n1's hostname check, as the checks word it. */
const problemOf = (fqdn: string) => `hostname is ${fqdn}, expected n1.example.com`;

describe('the examples of issue #18', () => {
  test("a guest's U+FFFE and U+FFFF in the JUnit report: it still parses (saxes), with '?' for each", () => {
    const xml = renderJunit(lab, answered('evil\ufffe\uffff.example.com'), timing);
    expect(hostnameFailure(xml)).toEqual({
      message: problemOf('evil??.example.com'),
      text: problemOf('evil??.example.com'),
    });
  });

  test('an unpaired surrogate and C0 controls in the JUnit report: it parses', () => {
    const xml = renderJunit(lab, answered('a\ud800b\u0001c\u001bd'), timing);
    expect(hostnameFailure(xml).message).toBe(problemOf('a?b?c?d'));
  });

  test('images, links and HTML a guest returned are shown as text in the Markdown summary, never rendered', () => {
    const hostile = '![x](https://evil.example/p.png) [click](https://evil.example) <img src=x onerror=alert(1)>';
    const view = summaryView(renderSummary(lab, answered(hostile), timing));
    expect(view.foreign).toEqual([]);
    expect(view.rows[0]).toHaveLength(6);
    expect(view.rows[0][5].split('<br>')[0]).toBe(problemOf(hostile));
  });
});

describe('property: random hostile text', () => {
  // Strings of any UTF-16 code units (unpaired surrogates included), and strings built from the characters each
  // language reads as markup, so both kinds are tried often.
  const anyText = fc.string({ unit: 'binary', maxLength: 40 });
  const markupText = fc.string({
    unit: fc.constantFrom(...'<>&"\'![]()*_`|\\~#$@:.-=+ \n\r\t\u0000\u001b\u009b\u009d\u202e\u200b\ufffe\uffffwx'),
    maxLength: 40,
  });
  const hostile = fc.oneof(anyText, markupText);

  test('JUnit: every report parses (saxes), the failure reads back as the guest text with what XML cannot carry as ?', () => {
    fc.assert(
      fc.property(hostile, (fqdn) => {
        const verdicts = answered(fqdn);
        const got = hostnameFailure(renderJunit(lab, verdicts, timing));
        // XML's own rules on reading: CR LF and a lone CR become LF; in an attribute, tab and LF become a space.
        const expected = xmlChars(verdicts[0].problems[0]);
        expect(got.text).toBe(expected.replace(/\r\n?/g, '\n'));
        expect(got.message).toBe(expected.replace(/\r\n|[\t\n\r]/g, ' '));
      }),
      { numRuns: 400 },
    );
  });

  test('Markdown: no link, image or HTML in the rendered summary, six cells in the row, the text as the guest sent it', () => {
    fc.assert(
      fc.property(hostile, (fqdn) => {
        const verdicts = answered(fqdn);
        const view = summaryView(renderSummary(lab, verdicts, timing));
        expect(view.foreign).toEqual([]);
        expect(view.rows[0]).toHaveLength(6);
        const oneLine = verdicts[0].problems[0]
          .replace(/\r\n|[\t\n\r\u0085\u2028\u2029]/g, ' ')
          .replace(/[^\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '?');
        // micromark trims a cell's outer spaces and turns U+0000 into U+FFFD (already '?' here).
        expect(view.rows[0][5].split('<br>')[0]).toBe(showInvisible(oneLine).trim());
      }),
      { numRuns: 400 },
    );
  });

  test('terminal: no C0 control but tab and LF, no DEL, no C1, no unpaired surrogate, no invisible character', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const out = terminalText(text);
        // eslint-disable-next-line no-control-regex -- what a terminal must not get
        expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
        expect(out).not.toMatch(/[\ud800-\udfff]/u);
        expect(out).not.toMatch(/[\u200b\u202e\u2066-\u2069\ufeff]/);
        // Nothing printable the guest sent is lost: text without controls comes through whole.
        if (/^[\u0020-\u007e]*$/.test(text)) expect(out).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  test('a message shows every character outside printable ASCII escaped, and keeps printable ASCII', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const out = asciiOnly(text);
        expect(out).toMatch(/^[\t\u0020-\u007e]*$/);
        if (/^[\t\u0020-\u007e]*$/.test(text)) expect(out).toBe(text);
      }),
    );
    expect(asciiOnly('ex\u0430mple\u202e.com\u{e0041}')).toBe('ex\\u0430mple\\u202e.com\\u{e0041}');
  });
});

test('each sanitiser on known text', () => {
  const ESC = '\u001b';
  expect(xmlChars('a\ufffeb\uffffc\ud800d\u0008e\tf\ng\rh\u{1f600}')).toBe('a?b?c?d?e\tf\ng\rh\u{1f600}');
  expect(markdownText('![i](u) [l](u) <b>x</b> *e* _e_ `c` a|b \\ ~s~ $m$ @me #1 www.x.org http://x')).toBe(
    '&#33;&#91;i&#93;&#40;u&#41; &#91;l&#93;&#40;u&#41; &#60;b&#62;x&#60;/b&#62; &#42;e&#42; &#95;e&#95; ' +
      '&#96;c&#96; a&#124;b &#92; &#126;s&#126; &#36;m&#36; &#64;me &#35;1 www&#46;x&#46;org http&#58;//x',
  );
  expect(markdownText('two\nlines\u202e')).toBe('two lines&#92;u202e');
  expect(terminalText(`a\u009b31mred\u009d8;;http://evil\u009cb${ESC}[2Jc${ESC}]0;t\u0007d${ESC}Pq#0\u001b\\e`)).toBe(
    'aredbcde',
  );
  expect(terminalText('x\u202ey\u200bz\r\n')).toBe('x\\u202ey\\u200bz\n');
  expect(terminalText('ünïcode ✓ 日本\tok\n')).toBe('ünïcode ✓ 日本\tok\n');
});

test('--json output: the same value read back, and nothing a terminal would act on (C1, bidirectional, invisible)', async () => {
  const { printJson } = await import('../../src/cli/output.js');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => {
      const lines: string[] = [];
      const log = jest.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
      try {
        printJson({ stdout: text });
      } finally {
        log.mockRestore();
      }
      // eslint-disable-next-line no-control-regex -- what a terminal must not get
      expect(lines[0]).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
      expect(lines[0]).not.toMatch(/[\ud800-\udfff]/u);
      expect(JSON.parse(lines[0].replace(/\n/g, ''))).toEqual({ stdout: text });
    }),
    { numRuns: 500 },
  );
});

test("verify's table and run's summary on the terminal: a guest's controls never reach it", async () => {
  const { formatVerdicts } = await import('../../src/lifecycle/nodes/verify.js');
  const { outcomesSummary } = await import('../../src/lifecycle/nodes/fanout.js');
  const evil = '\u009b2J\u001b]0;title\u0007evil\rOK\u009d8;;http://x\u009c\u202e';
  const table = formatVerdicts(answered(evil));
  const summary = outcomesSummary('`true`', [
    { node: 'n1', ok: false, stdout: '', stderr: '', seconds: 1, error: `no connection to 10.240.0.11: ${evil}` },
  ]);
  for (const text of [table, summary]) {
    // eslint-disable-next-line no-control-regex -- what a terminal must not get
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain('evilOK\\u202e');
  }
});
