#!/usr/bin/env node
require('../dist/workers/builder.js').main(process.argv);
