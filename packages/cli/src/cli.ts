#!/usr/bin/env -S npx tsx
// `pnpm perch …`: train, eval, simulate and attack. Exit codes: 0 ok, 1 failure (e.g. diverged), 2 usage.
import { DivergedError } from '@perch/model/plain';
import { parseArgs, USAGE } from './train/options.js';
import { UsageError } from './args.js';
import { runCommand } from './train/run.js';

async function main(argv: string[]): Promise<number> {
  // The simulation and the attack are loaded only when asked for (src/simulate/, src/attack/).
  if (argv[0] === 'simulate') return (await import('./simulate/command.js')).runSimulate(argv);
  if (argv[0] === 'attack') return (await import('./attack/cli.js')).runAttack(argv);
  try {
    return await runCommand(parseArgs(argv));
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) process.stderr.write(`perch: ${e.message}\n`);
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    if (e instanceof DivergedError) { process.stderr.write(`perch: ${e.message}; nothing was written\n`); return 1; }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
