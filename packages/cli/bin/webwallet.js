#!/usr/bin/env node
// Thin launcher so the command is executable straight from a checkout; the code is in dist/.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv);
