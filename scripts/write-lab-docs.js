#!/usr/bin/env node
// npm run docs: writes docs/lab-file.md from the lab file's JSON Schema (src/render/lab-docs.ts, built into dist/); a
// test fails when the file is stale.
import fs from 'node:fs';
import path from 'node:path';
import { labJsonSchema } from '../dist/lab/json-schema.js';
import { renderLabDocs } from '../dist/render/lab-docs.js';

const file = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'docs', 'lab-file.md');
fs.writeFileSync(file, renderLabDocs(JSON.parse(labJsonSchema())));
console.log(`wrote ${file}`);
