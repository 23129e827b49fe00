#!/usr/bin/env node
// Thin launcher: the code lives in simulator/ and is compiled to dist/ by `npm run build`.
require('../dist/simulator/cli.js')
  .main(process.argv)
  .catch((e) => {
    process.stderr.write(`openstack-simulator: ${e && e.message ? e.message : String(e)}\n`);
    process.exit(1);
  });
