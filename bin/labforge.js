#!/usr/bin/env node
// The labforge command: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv);
