#!/usr/bin/env node
// npm run schema: writes schema/lab.schema.json from the zod schema (src/lab/json-schema.ts, built into dist/); a
// test checks the shipped file is current.
import fs from 'node:fs';
import path from 'node:path';
import { labJsonSchema } from '../dist/lab/json-schema.js';

const file = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'schema', 'lab.schema.json');
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, labJsonSchema());
console.log(`wrote ${file}`);
