#!/usr/bin/env node
// The labforge command: the compiled CLI, bundled into dist/bundle/ (npm run build; see scripts/bundle.js).
import { main } from '../dist/bundle/cli.js';

process.exitCode = await main(process.argv);
