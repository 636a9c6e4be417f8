/**
 * `pnpm demo:simulate [--shoppers N] [--quick] [--history K] [--seed S] [--parallel P]`: scripted shoppers
 * with a hidden intent browse the demo store in Chromium (P at a time, default 2); prints CTR@5 and ATC@5
 * under the shop's default order and Perch's order, the lift with 95 % intervals, then one JSON line.
 * Method: docs/demo-simulator.md.
 */
import { join } from 'node:path';
import { chromium } from 'playwright';
// @ts-expect-error plain ESM helper without types
import { CHROMIUM_ARGS, findChromium } from '../../e2e/support/chromium.mjs';
// @ts-expect-error plain ESM helper without types
import { TRAIN_USERS, beautyDir } from '../model.mjs';
import { buildCatalog } from '../src/catalog/build.js';
import { simulate } from './run.js';
import { serveStore } from './serve.js';
import { openStore } from './session.js';
import { heldOutShoppers } from './shoppers.js';
import { summarise, table } from './summary.js';

function args(argv: string[]): { shoppers: number; history: number; seed: number; parallel: number } {
  const quick = argv.includes('--quick');
  const num = (flag: string, dflt: number) => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? Number(argv[i + 1]) : dflt;
    if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive integer`);
    return v;
  };
  return { shoppers: num('--shoppers', quick ? 20 : 100), history: num('--history', quick ? 5 : 8), seed: num('--seed', 1), parallel: num('--parallel', 2) };
}

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const data = (beautyDir as () => string)();
  const catalog = new Map(buildCatalog(join(data, 'Beauty_item2attributes.json'), join(data, 'Beauty.txt')).map((c) => [c.id, c]));
  const shoppers = heldOutShoppers({ beautyFile: join(data, 'Beauty.txt'), trainUsers: TRAIN_USERS as number, count: o.shoppers, maxHistory: o.history, seed: o.seed, known: (id) => catalog.has(id) });
  const served = await serveStore(log);
  const executablePath = (findChromium as () => string | undefined)();
  const browser = await chromium.launch({ ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS as string[] });
  try {
    // One browser context per parallel shopper: separate storage, so one shopper's forget() spares the others.
    const pages = await Promise.all(Array.from({ length: o.parallel }, async () => {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => log(`page error: ${String(e)}`));
      return page;
    }));
    const versions = await Promise.all(pages.map((p) => openStore(p, served.origin)));
    log(`store ${served.origin}, model ${versions[0]}; ${shoppers.length} shoppers, ${pages.length} at a time…`);
    const t0 = performance.now();
    const runs = await simulate(pages, shoppers, catalog, o.seed, (done, r) => {
      if (done % 10 === 0 || done === shoppers.length) log(`  ${done}/${shoppers.length} shoppers (last: ${r.shopper.history.length} items replayed, ${Math.round(r.ms)} ms)`);
    });
    const s = summarise(runs, o.seed);
    console.log(table(s));
    console.log(`Wall time ${((performance.now() - t0) / 1000).toFixed(0)} s for the shoppers.`);
    console.log(JSON.stringify(s));
  } finally {
    await browser.close();
    await served.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
