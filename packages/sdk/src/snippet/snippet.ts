/**
 * The script-tag snippet: one small ES5 function, pasted into the shop's `<head>` before anything else.
 * It makes `window.perch` a stub that queues `[method, ...args]`, then loads the IIFE asynchronously;
 * the loader replays the queue in order (`replay.ts`). Including it twice is harmless (`invoked` guard),
 * and it does nothing once the real loader is on the page (`loaded`).
 *
 * Kept as a string (not compiled code) so the exact bytes the shop pastes are what the tests run.
 */
import { SNIPPET_VERSION } from '../shared/version.js';

/** Methods the stub accepts before the loader arrives (`consent.*` live on `perch.consent`). */
export const STUB_METHODS = [
  'init', 'track', 'forget', 'exportData', 'audit', 'flush', 'ready', 'destroy', 'rerank', 'intent',
  'consent.set', 'consent.get', 'consent.onChange',
] as const;

/** The snippet function (ES5), with the loader URL as its third argument. */
export const SNIPPET_FUNCTION =
  'function(w,d,src){' +
  'var p=w.perch=w.perch||[];' +
  'if(p.invoked||p.loaded)return;' +
  'p.invoked=true;' +
  `p.SNIPPET_VERSION=${SNIPPET_VERSION};` +
  `var m=${JSON.stringify(STUB_METHODS)};` +
  'var f=function(n){return function(){var a=Array.prototype.slice.call(arguments);a.unshift(n);p.push(a);return p}};' +
  'p.consent={};' +
  'for(var i=0;i<m.length;i++){var k=m[i].split(".");if(k[1])p.consent[k[1]]=f(m[i]);else p[k[0]]=f(k[0])}' +
  'var s=d.createElement("script");s.async=true;s.src=src;' +
  '(d.head||d.documentElement).appendChild(s)' +
  '}';

/**
 * The full `<script>` body for a loader URL, e.g. `snippet('/perch/perch.iife.js')`.
 * Follow it with `perch.init({...})` and `perch.track(...)` calls; they are queued until the loader runs.
 */
export function snippet(loaderUrl: string): string {
  return `!${SNIPPET_FUNCTION}(window,document,${JSON.stringify(String(loaderUrl))});`;
}
