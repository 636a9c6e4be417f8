import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { replayStub } from './replay.js';
import { SNIPPET_FUNCTION, STUB_METHODS, snippet } from './snippet.js';

/** Runs the real snippet string against a fake window/document and returns what it left behind. */
function runSnippet(times: number) {
  const appended: Array<{ src: string; async: boolean }> = [];
  const document = { createElement: () => ({ src: '', async: false }), head: { appendChild: (s: { src: string; async: boolean }) => appended.push(s) } };
  const window: Record<string, unknown> = {};
  for (let i = 0; i < times; i++) runInNewContext(snippet('/perch/perch.iife.js'), { window, document, Array });
  return { window, appended };
}

describe('snippet', () => {
  it('is ES5 (no arrows, let/const, template strings or classes)', () => {
    expect(SNIPPET_FUNCTION).not.toMatch(/=>|\blet\b|\bconst\b|`|\bclass\b/);
    expect(snippet('x').length).toBeLessThan(800);
  });
  it('makes window.perch a stub queue of [method, ...args] and loads the loader once, even twice included', () => {
    const { window, appended } = runSnippet(2);
    const p = window.perch as unknown[] & Record<string, any>;
    expect(appended).toEqual([{ src: '/perch/perch.iife.js', async: true }]);
    expect(p.invoked).toBe(true);
    expect(p.SNIPPET_VERSION).toBe(1);
    p.init({ a: 1 });
    p.track('view_item', { items: [] });
    p.consent.set({ storage: 'granted' });
    expect(p.slice()).toEqual([['init', { a: 1 }], ['track', 'view_item', { items: [] }], ['consent.set', { storage: 'granted' }]]);
    for (const m of STUB_METHODS) expect(typeof (m.startsWith('consent.') ? p.consent[m.slice(8)] : p[m])).toBe('function');
  });
});

describe('replayStub', () => {
  it('replays in order, skips junk, survives a throwing call, and empties the stub', () => {
    const calls: string[] = [];
    const api = {
      init: (c: { n: number }) => calls.push(`init${c.n}`),
      track: (n: string) => { if (n === 'boom') throw new Error('x'); calls.push(n); },
      consent: { set: (s: { storage: string }) => calls.push(`consent:${s.storage}`) },
      flush: () => Promise.reject(new Error('swallowed')),
    };
    const stub: unknown[] = [['track', 'a'], ['init', { n: 1 }], 'junk', [42], ['toString'], ['consent.set', { storage: 'granted' }], ['track', 'boom'], ['flush'], ['track', 'b'], ['__proto__']];
    expect(replayStub(stub, api)).toBe(5);
    expect(calls).toEqual(['a', 'init1', 'consent:granted', 'b']);
    expect(stub).toEqual([]);
    expect(replayStub(undefined, api)).toBe(0);
  });
});

describe('documentation', () => {
  it('the README shows the exact snippet the tests run', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(snippet('/perch/perch.iife.js'));
  });
});
