import type { Command } from 'commander';

/** `weft bench` arrives with the throughput harness. */
export function registerBenchCommand(_program: Command): void {}
