#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --heap-growing-percent=25
// The line above is the launcher's memory setting (README "Memory"): two malloc arenas instead of
// one per thread (the Temporal core's threads each grew their own), a 4 MiB young generation per
// JavaScript heap instead of 16, and an old generation that grows by 25 % between collections
// instead of up to 4×. A 200-request storm peaks at ~260 MiB instead of ~400 at ~10 % more CPU.
// tools/servers/launcher-runtime.ts reads this line so tests, benches and the demo run the same.
require('../dist/workers/launcher.js').main(process.argv);
