#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --heap-growing-percent=25
// The line above is the launcher's memory setting (README "Memory"): two malloc arenas instead of
// one per thread (the Temporal core's threads each grew their own), a 4 MiB young generation per
// JavaScript heap instead of 16, and heaps that grow by a quarter of what is live, not by half or
// more, before the next full collection (~10 % more CPU). No heap is capped. A 200-request storm
// peaks at ~245-295 MiB instead of ~330-350 (~370-420 with none of the three).
// tools/servers/launcher-runtime.ts reads this line so tests, benches and the demo run the same.
require('../dist/workers/launcher.js').main(process.argv);
