/**
 * The bench workflows and activities, for a daemon that `weft bench --url` drives:
 *
 *   weft daemon --config bench/weft.config.ts --data ./bench-data
 *   weft bench w1-one-step w2-sequential w3-fanout w6-settings --url http://127.0.0.1:7420 --data ./bench-data
 *
 * Module paths resolve against this folder (a compiled `.js` beside a `.ts` is used when present).
 */
export default {
  workflows: ['./workflows/bench.ts'],
  activities: ['./activities/noop.ts', './activities/increment.ts', './activities/cpu.ts'],
};
