// The real-payload corpus (e2e/tracking/corpus/README.md) through the same path as in a shop, minus the browser: the
// page's dataLayer bridge and bounded copy, then the worker's intake (readPush, validateEvent). Every case must
// meet its expected outcome; nothing may vanish silently. The Chromium spec e2e/tracking/corpus.spec.ts runs the
// same cases through the real loader, worker and IndexedDB.
import { describe, expect, it } from 'vitest';
import { bridgeDataLayer } from '../src/page/track/datalayer.js';
import { snapshot } from '../src/page/track/snapshot.js';
import { isEcommerceName } from '../src/shared/events/names.js';
import { intake } from '../src/shared/store-service.js';
import type { RawCall } from '../src/shared/worker-api.js';
import { classify, loadCorpus, mismatch, tally, type Case, type Outcome } from '../../../e2e/tracking/corpus/cases.js';

const TS = 1_700_000_000_000;

function argumentsOf(a: unknown[]): IArguments {
  return (function (..._: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    return arguments;
  })(...a);
}

/** The raw calls the page would send for a case. */
function callsOf(c: Case): RawCall[] {
  if (c.via === 'track') return [[snapshot(c.name), snapshot(c.payload), TS]];
  const calls: RawCall[] = [];
  const dl: unknown[] = [];
  const stop = bridgeDataLayer(dl, (n, p, v) => calls.push([snapshot(n), snapshot(p), TS, v]));
  dl.push(c.via === 'gtag' ? argumentsOf(c.payload as unknown[]) : structuredClone(c.payload));
  stop();
  return calls;
}

function run(c: Case): Outcome {
  const b = intake({ calls: callsOf(c), events: [], rejections: [], consent: [] });
  return { stored: b.events.map((e) => e.type), refused: b.rejections.map((r) => r.code), ignored: Object.keys(b.ignored ?? {}) };
}

const corpus = loadCorpus();

describe('real-payload corpus', () => {
  it('has at least 200 cases, each with a named public source, an expected outcome and why', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((c) => c.id)).size).toBe(corpus.length);
    for (const c of corpus) {
      expect(c.source, c.id).toBeTruthy();
      expect(Boolean(c.url) || Boolean(c.repo && c.path), `${c.id}: url or repo + path`).toBe(true);
      expect(['dataLayer', 'gtag', 'track'], c.id).toContain(c.via);
      expect(['stored', 'refused', 'ignored'], c.id).toContain(c.expect);
      expect(c.why.length, c.id).toBeGreaterThan(5);
      if (c.via === 'track') expect(c.expect, `${c.id}: a track() call is stored or refused, never ignored`).not.toBe('ignored');
    }
  });

  it('every case meets its expected outcome, and none vanishes silently', () => {
    const results = corpus.map((c) => ({ c, o: run(c) }));
    const { rows, byExpect, silent } = tally(results);
    console.table(rows);
    console.log(JSON.stringify({ corpus: corpus.length, ...byExpect, silent }));
    const failures = results.map(({ c, o }) => [c.id, mismatch(c, o)]).filter(([, m]) => m !== null);
    expect(failures).toEqual([]);
    expect(silent).toBe(0);
    expect(results.filter(({ o }) => classify(o) === 'silent')).toEqual([]);
  });

  it('a GA4 push under a GA4 e-commerce name gives the same outcome through track(event, ecommerce)', () => {
    const ga4 = corpus.filter((c) => {
      const p = c.payload as { event?: unknown; ecommerce?: { items?: unknown } } | null;
      return c.via === 'dataLayer' && typeof p?.event === 'string' && isEcommerceName(p.event) && Array.isArray(p.ecommerce?.items);
    });
    expect(ga4.length).toBeGreaterThan(30);
    for (const c of ga4) {
      const p = c.payload as { event: string; ecommerce: unknown };
      expect(run({ ...c, via: 'track', name: p.event, payload: p.ecommerce }), c.id).toEqual(run(c));
    }
  });
});
