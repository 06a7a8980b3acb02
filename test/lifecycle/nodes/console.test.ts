// The serial console's pure parts: what reaches the user's terminal from a guest's console log.
import fs from 'node:fs';
import path from 'node:path';
import { loadLabText } from '../../../src/lab/load.js';
import {
  cleanConsole,
  consoleHistoryPath,
  consoleLogPath,
  keepConsoleLogs,
  lastLines,
  readConsoleLog,
  restoreMarker,
} from '../../../src/lifecycle/nodes/console.js';
import { tempDir } from '../../support.js';

test('a guest cannot drive the terminal: escape sequences (colour, cursor, title) and control characters are dropped', () => {
  const ESC = '\u001b';
  expect(cleanConsole(`[${ESC}[0;32m  OK  ${ESC}[0m] Started${ESC}[K\r\n`)).toBe('[  OK  ] Started\n');
  expect(cleanConsole(`${ESC}]0;evil title\u0007prompt$ `)).toBe('prompt$ ');
  expect(cleanConsole(`${ESC}]2;t${ESC}\\x`)).toBe('x');
  expect(cleanConsole(`${ESC}[?25l${ESC}[2J${ESC}[1;1Hbell\u0007 nul\u0000 del\u007f tab\tok\n`)).toBe(
    'bell nul del tab\tok\n',
  );
  expect(cleanConsole('plain text\nünïcode stays\n')).toBe('plain text\nünïcode stays\n');
});

test('console --log passes no C1 control to the terminal: 8-bit CSI (U+009B) and OSC (U+009D) sequences are dropped whole', () => {
  // A terminal in UTF-8 reads U+009B as ESC [ and U+009D as ESC ]: colours, cursor moves, a title, a hyperlink.
  expect(cleanConsole('\u009b2J\u009b1;1Hclear\n')).toBe('clear\n');
  expect(cleanConsole('\u009d0;evil title\u0007prompt$ ')).toBe('prompt$ ');
  expect(cleanConsole('\u009d8;;https://evil.example\u009clink\u009d8;;\u009c\n')).toBe('link\n');
  expect(cleanConsole('a\u0085b\u0081c\u009ad\n')).toBe('abcd\n');
  // A device control string (U+0090) runs to its terminator, or to the end of the line.
  expect(cleanConsole('a\u0090q#0;2;0;0;0\u009cb\u0090rest of line\nnext\n')).toBe('ab\nnext\n');
  expect(cleanConsole('x\u0080\u0081\u009a\u009e\u009f\u001b[31my\n')).not.toMatch(
    // eslint-disable-next-line no-control-regex -- what a terminal must not get
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/,
  );
  // Bidirectional and invisible characters show themselves.
  expect(cleanConsole('ok \u202eevil\u200b\n')).toBe('ok \\u202eevil\\u200b\n');
});

test('the last N lines; all of them without N', () => {
  expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc\n');
  expect(lastLines('a\nb\nc', 5)).toBe('a\nb\nc\n');
  expect(lastLines('a\nb\n')).toBe('a\nb\n');
});

test('a restore keeps what the console wrote so far (QEMU starts the file anew): --log prints it, the marker, then the rest', () => {
  const dir = tempDir();
  const { lab } = loadLabText(
    'name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n  - { name: b, ip: 10.240.0.12 }\n',
    path.join(dir, 'lab.yaml'),
    { outDir: path.join(dir, 'out') },
  );
  const [a, b] = lab.nodes;
  fs.mkdirSync(path.join(lab.outDir, 'logs'), { recursive: true });
  fs.writeFileSync(consoleLogPath(lab, a), 'Linux version 6.1\r\na login: ');
  const at = new Date('2026-11-26T10:00:00.000Z');
  keepConsoleLogs(lab, [a, b], 'baseline', at);
  // QEMU truncates the file on the revert and writes again.
  fs.writeFileSync(consoleLogPath(lab, a), 'after\r\n');
  expect(readConsoleLog(lab, a)).toBe(`Linux version 6.1\na login: \n${restoreMarker('baseline', at)}after\n`);
  expect(restoreMarker('baseline', at)).toBe(
    "--- labforge: snapshot baseline restored at 2026-11-26T10:00:00.000Z; the console continues from the snapshot's moment ---\n",
  );
  expect(readConsoleLog(lab, a, 1)).toBe('after\n');
  // Two more restores, the second with nothing written since the first (the file started anew and stayed empty):
  // each leaves its marker.
  keepConsoleLogs(lab, [a], 's1', at);
  fs.writeFileSync(consoleLogPath(lab, a), '');
  keepConsoleLogs(lab, [a], 's2', at);
  expect(readConsoleLog(lab, a, 3)).toBe(`after\n${restoreMarker('s1', at)}${restoreMarker('s2', at)}`);
  // A node without a log (never created) has no history either.
  expect(fs.existsSync(consoleHistoryPath(lab, b))).toBe(false);
  expect(() => readConsoleLog(lab, b)).toThrow(
    `node b has no console log (${consoleLogPath(lab, b)}): it has not been created yet (run labforge up)`,
  );
});
