// 10,000 random and hostile track() payloads: no page error, every valid event stored, every invalid one
// counted with a reason. track() only snapshots its arguments; the worker validates. The expected outcome
// of each call is computed in Node from the same seeded payloads with the SDK's own snapshot and event
// boundary (`snapshot` + `validateEvent`), so the test checks that what the page captured and the worker
// decided is exactly that, call by call.
import { snapshot, validateEvent } from '@perch/sdk/internal';
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
