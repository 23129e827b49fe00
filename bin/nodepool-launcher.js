#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// The line above is the launcher's memory setting (README "Memory"): two malloc arenas instead of
// one per thread (the Temporal core's threads each grew their own) and a 4 MiB young generation per
// JavaScript heap instead of 16. A 200-request storm peaks at ~330-350 MiB instead of ~370-420.
// tools/servers/launcher-runtime.ts reads this line so tests, benches and the demo run the same.
require('../dist/workers/launcher.js').main(process.argv);
