#!/usr/bin/env node
// Writes docs/errors.md from the error table in packages/core/src/errors.ts.
import { writeFileSync } from 'node:fs';
import { errorsMarkdown } from '../packages/core/dist/index.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsMarkdown());
console.log('wrote docs/errors.md');
