// The serial console's pure parts: what reaches the user's terminal from a guest's console log.
import { cleanConsole, lastLines } from '../../src/lifecycle/console.js';

test('a guest cannot drive the terminal: escape sequences (colour, cursor, title) and control characters are dropped', () => {
  const ESC = '\u001b';
  expect(cleanConsole(`[${ESC}[0;32m  OK  ${ESC}[0m] Started${ESC}[K\r\n`)).toBe('[  OK  ] Started\n');
  expect(cleanConsole(`${ESC}]0;evil title\u0007prompt$ `)).toBe('prompt$ ');
  expect(cleanConsole(`${ESC}]2;t${ESC}\\x`)).toBe('x');
  expect(cleanConsole(`${ESC}[?25l${ESC}[2J${ESC}[1;1Hbell\u0007 nul\u0000 del\u007f tab\tok\n`)).toBe('bell nul del tab\tok\n');
  expect(cleanConsole('plain text\nünïcode stays\n')).toBe('plain text\nünïcode stays\n');
});

test('the last N lines; all of them without N', () => {
  expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc\n');
  expect(lastLines('a\nb\nc', 5)).toBe('a\nb\nc\n');
  expect(lastLines('a\nb\n')).toBe('a\nb\n');
});
