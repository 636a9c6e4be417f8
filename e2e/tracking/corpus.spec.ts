// The real-payload corpus (e2e/tracking/corpus: payloads copied from Google's docs, shop platforms and
// Segment-style sources, each with its expected outcome) through the real loader, worker and IndexedDB:
// `track()` cases through `perch.track`, dataLayer and gtag cases pushed onto the page's `dataLayer` (gtag as
// its `arguments`). Each case's outcome is read from what the audit and the export gained: stored events (in
// order), refusals by code, ignored pushes by kind. Every case must meet its expectation and none may vanish;
// the dropped-field and ignored counters must add up across the run. A Consent Mode command that denies
// personalization_storage is applied by the consent adapter (storage denied, data erased): counted as consent.
import { loadCorpus, mismatch, tally, type Case, type Outcome } from './corpus/cases.js';
import { boot, expect, test, type PerchWindow } from './fixtures.js';

const corpus = loadCorpus();

test('real-payload corpus: every case stored, refused with a reason or counted as ignored, as expected; none silent', async ({ page, server, errors }) => {
  test.setTimeout(240_000);
  await boot(page, server, { dbName: 'corpus', consent: { storage: 'granted' }, dataLayer: true, retention: { maxEvents: 20_000 } });
  const cases = corpus.map(({ id, via, name, payload }) => ({ id, via, name, payload }));
  const out = await page.evaluate(async (list) => {
    const w = window as unknown as PerchWindow & { dataLayer: unknown[] };
    const p = w.perch;
    const sum = (o: Record<string, number | undefined>): number => Object.values(o).reduce<number>((a, b) => a + (b ?? 0), 0);
    // The bridge attaches once its script has loaded; it replays earlier pushes, so wait until one is counted.
    w.dataLayer.push({ event: 'gtm.js' });
    for (let i = 0; i < 100 && (await p.audit()).ignored.total === 0; i++) await new Promise((r) => setTimeout(r, 50));
    let before = await p.audit();
    let seen = (await p.exportData()).events.length;
    const outcomes: Array<{ stored: string[]; refused: string[]; ignored: string[] }> = [];
    const threw: string[] = [];
    for (const c of list) {
      try {
        if (c.via === 'track') p.track(c.name as string, c.payload as Record<string, unknown>);
        else if (c.via === 'gtag') (function gtag(..._a: unknown[]) { w.dataLayer.push(arguments); })(...(c.payload as unknown[]));
        else w.dataLayer.push(c.payload);
      } catch {
        threw.push(c.id);
      }
      await p.flush();
      if (p.consent.get().storage !== 'granted') {
        // A Consent Mode command that denies personalization_storage: the consent adapter applied it (nothing may
        // be kept, the device's data is erased), so the push is counted as what it is, consent. Grant again.
        outcomes.push({ stored: [], refused: [], ignored: ['consent'] });
        p.consent.set({ storage: 'granted' });
        await p.flush();
        before = await p.audit();
        seen = (await p.exportData()).events.length;
        continue;
      }
      const after = await p.audit();
      const events = (await p.exportData()).events as Array<{ type: string }>;
      const byCode = after.rejected.byCode as Record<string, number>;
      const byKind = after.ignored.byKind as Record<string, number>;
      outcomes.push({
        stored: events.slice(seen).map((e) => e.type),
        refused: Object.keys(byCode).filter((k) => (byCode[k] ?? 0) > ((before.rejected.byCode as Record<string, number>)[k] ?? 0)),
        ignored: Object.keys(byKind).filter((k) => (byKind[k] ?? 0) > ((before.ignored.byKind as Record<string, number>)[k] ?? 0)),
      });
      seen = events.length;
      before = after;
    }
    const audit = await p.audit();
    return { outcomes, threw, audit, totals: { rejected: audit.rejected.total, byCode: sum(audit.rejected.byCode as Record<string, number>), ignored: audit.ignored.total, byKind: sum(audit.ignored.byKind as Record<string, number>) } };
  }, cases);

  expect(out.threw).toEqual([]);
  const results = corpus.map((c, i) => ({ c, o: out.outcomes[i] as Outcome }));
  const { rows, byExpect, silent } = tally(results);
  console.table(rows);
  console.log(JSON.stringify({ corpus: corpus.length, ...byExpect, silent, droppedFields: out.audit.droppedFields.total }));
  expect(results.map(({ c, o }) => [c.id, mismatch(c as Case, o)]).filter(([, m]) => m !== null)).toEqual([]);
  expect(silent).toBe(0);
  // The counters add up, and the dropped fields are named with their reasons.
  expect(out.totals.byCode).toBe(out.totals.rejected);
  expect(out.totals.byKind).toBe(out.totals.ignored);
  expect(out.audit.droppedFields.total).toBe(Object.values(out.audit.droppedFields.byField).reduce((a, b) => a + b, 0));
  for (const d of out.audit.droppedFields.recent) expect([d.field.length > 0, d.reason.length > 20, typeof d.event]).toEqual([true, true, 'string']);
  expect(errors).toEqual([]);
});
