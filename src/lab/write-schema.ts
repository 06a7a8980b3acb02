// Writes schema/lab.schema.json from the zod schema (npm run schema); a test checks the shipped file is current.
import fs from 'node:fs';
import path from 'node:path';
import { repoPath } from '../render/sources.js';
import { labJsonSchema } from './json-schema.js';

const file = repoPath('schema', 'lab.schema.json');
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, labJsonSchema());
console.log(`wrote ${file}`);
