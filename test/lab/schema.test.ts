// The shipped JSON Schema is the one the zod schema generates, and a real JSON Schema validator (ajv) agrees with
// labforge about good and bad lab files.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { labJsonSchema } from '../../src/lab/json-schema.js';
import { ROOT } from '../support.js';

const shipped = fs.readFileSync(path.join(ROOT, 'schema', 'lab.schema.json'), 'utf8');

test('schema/lab.schema.json is current (npm run schema regenerates it)', () => {
  expect(shipped).toBe(labJsonSchema());
});

test('lab.yaml points editors at the schema and validates against it', () => {
  const text = fs.readFileSync(path.join(ROOT, 'lab.yaml'), 'utf8');
  expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema/lab.schema.json');
  const validate = new Ajv({ strict: false }).compile(JSON.parse(shipped));
  expect(validate(parse(text))).toBe(true);
});

test.each([
  ['a typo', { nodez: [] }, 'nodez'],
  ['a bad hostname', { nodes: [{ name: 'Web_1', ip: '10.240.0.11' }] }, 'pattern'],
  ['a bad driver', { host: { driver: 'xen' } }, 'allowed values'],
  ['a bad size', { defaults: { memory: 'lots' } }, 'pattern'],
])('the JSON Schema rejects %s, as labforge does', (_what, lab, fragment) => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(shipped));
  expect(validate(lab)).toBe(false);
  expect(JSON.stringify(validate.errors)).toContain(fragment);
});
