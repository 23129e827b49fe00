#!/usr/bin/env node
require('../dist/workers/launcher.js').main(process.argv);
