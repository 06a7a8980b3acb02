#!/usr/bin/env node
// The labforge command: the compiled CLI, bundled into dist/bundle/ (npm run build; see scripts/bundle.js).
import { loadBundle } from './bundle.js';

process.exitCode = await loadBundle().exports.main(process.argv);
