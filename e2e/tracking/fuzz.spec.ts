// 10,000 random and hostile track() payloads: no page error, every valid event stored, every invalid one
// counted with a reason. track() only snapshots its arguments; the worker validates. The expected outcome
// of each call is computed in Node from the same seeded payloads with the SDK's own snapshot and event
// boundary (`snapshot` + `validateEvent`), so the test checks that what the page captured and the worker
// decided is exactly that, call by call.
import { bridgeDataLayer, intake, snapshot, validateEvent } from '@perch/sdk/internal';
import { boot, expect, test, type PerchWindow } from './fixtures.js';
import { fuzzCalls } from './fuzz-calls.js';

const N = 10_000;

test('fuzz: 10,000 hostile payloads → 0 page errors, valid ones stored, invalid ones rejected, audit counts match', async ({ page, server, errors }) => {
  const expected = fuzzCalls(N).map(([name, props]) => validateEvent(snapshot(name), snapshot(props), 0));
  const valid = expected.flatMap((r) => (r.ok ? [{ ...r.event, ts: 0 }] : []));
  const invalid = expected.length - valid.length;
  expect(valid.length).toBeGreaterThan(1_000);
  expect(invalid).toBeGreaterThan(1_000);

  await boot(page, server, { dbName: 'fuzz', consent: { storage: 'granted' }, retention: { maxEvents: 20_000 } });
  const out = await page.evaluate(async ([src, n]) => {
    const p = (window as unknown as PerchWindow).perch;
    // eslint-disable-next-line no-new-func
    const gen = new Function(`return (${src})`)() as (n: number) => Array<[unknown, unknown]>;
    const calls = gen(n);
    let kept = 0;
    let threw = 0;
    for (let i = 0; i < calls.length; i++) {
      const [name, props] = calls[i] as [unknown, unknown];
      try {
        if (p.track(name as string, props as Record<string, unknown>)) kept++;
      } catch {
        threw++;
      }
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 0));
    }
    await p.flush();
    const audit = await p.audit();
    const data = await p.exportData();
    return { kept, threw, audit, // eventId: the store's key, not part of what the boundary kept
    events: data.events.map((e) => { const { eventId: _id, ...rest } = e as Record<string, unknown>; return { ...rest, ts: 0 }; }) };
  }, [fuzzCalls.toString(), N] as const);
  expect(out.threw).toBe(0);
  expect(out.kept).toBe(N);
  // Every valid event stored, in call order, exactly as the boundary minimised it.
  expect(out.events).toEqual(valid);
  expect(out.audit.storage.events).toBe(valid.length);
  expect(Object.values(out.audit.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(valid.length);
  // Every invalid one rejected, with a reason.
  expect(out.audit.rejected.total).toBe(invalid);
  expect(Object.values(out.audit.rejected.byCode).reduce((a, b) => a + (b ?? 0), 0)).toBe(invalid);
  const codes: Record<string, number> = {};
  for (const r of expected) if (!r.ok) codes[r.rejection.code] = (codes[r.rejection.code] ?? 0) + 1;
  expect(out.audit.rejected.byCode).toEqual(codes);
  expect(out.audit.rejected.recent.length).toBeGreaterThan(0);
  for (const r of out.audit.rejected.recent) {
    expect(typeof r.reason).toBe('string');
    expect(r.reason.length).toBeGreaterThan(0);
    expect(r.reason.length).toBeLessThan(500);
  }
  expect(errors).toEqual([]);
});

test('fuzz: 2,000 hostile dataLayer and gtag pushes → 0 page errors, each push stored, refused or counted exactly as in Node', async ({ page, server, errors }) => {
  const M = 2_000;
  // Node: the same pushes through the page's bridge and bounded copy, then the worker's intake.
  const calls: Parameters<typeof intake>[0]['calls'] & object = [];
  const dl: unknown[] = [];
  const stop = bridgeDataLayer(dl, (n, p, v) => calls.push([snapshot(n), snapshot(p), 0, v]));
  const gtag = function (..._a: unknown[]) { dl.push(arguments); };
  fuzzCalls(M).forEach(([name, props], i) => (i % 3 === 0 ? gtag('event', name, props) : i % 3 === 1 ? dl.push({ event: name, ecommerce: props }) : dl.push(props)));
  stop();
  const want = intake({ calls, events: [], rejections: [], consent: [] });
  expect(calls).toHaveLength(M);

  await boot(page, server, { dbName: 'fuzz-dl', consent: { storage: 'granted' }, dataLayer: true, retention: { maxEvents: 20_000 } });
  const out = await page.evaluate(async ([src, n]) => {
    const w = window as unknown as PerchWindow & { dataLayer: unknown[] };
    const p = w.perch;
    // eslint-disable-next-line no-new-func
    const gen = new Function(`return (${src})`)() as (n: number) => Array<[unknown, unknown]>;
    let threw = 0;
    const gtag = function (..._a: unknown[]) { w.dataLayer.push(arguments); };
    const list = gen(n);
    for (let i = 0; i < list.length; i++) {
      const [name, props] = list[i] as [unknown, unknown];
      try {
        if (i % 3 === 0) gtag('event', name, props);
        else if (i % 3 === 1) w.dataLayer.push({ event: name, ecommerce: props });
        else w.dataLayer.push(props);
      } catch {
        threw++;
      }
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 0));
    }
    // the bridge replays what was pushed before it attached: wait until every push is accounted for
    for (let i = 0; i < 200; i++) {
      await p.flush();
      const a = await p.audit();
      if (a.ignored.total + a.rejected.total + a.storage.events >= n) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const audit = await p.audit();
    return { threw, audit, polluted: ({} as Record<string, unknown>).polluted, events: ((await p.exportData()).events as Array<{ type: string }>).map((e) => e.type) };
  }, [fuzzCalls.toString(), M] as const);
  expect(out.threw).toBe(0);
  expect(out.polluted).toBeUndefined();
  expect(out.events).toEqual(want.events.map((e) => e.type));
  const codes: Record<string, number> = {};
  for (const r of want.rejections) codes[r.code] = (codes[r.code] ?? 0) + 1;
  expect(out.audit.rejected.byCode).toEqual(codes);
  expect(out.audit.ignored.byKind).toEqual(want.ignored ?? {});
  expect(out.audit.droppedFields.total).toBe(want.droppedFields?.length ?? 0);
  expect(JSON.stringify(out.audit)).not.toMatch(/user@example\.com|evil\.example/);
  expect(errors).toEqual([]);
});
