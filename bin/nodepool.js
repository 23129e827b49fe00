#!/usr/bin/env node
// Thin launcher: the code lives in cli/ and is compiled to dist/ by `npm run build`.
require('../dist/cli/nodepool.js').main(process.argv);
