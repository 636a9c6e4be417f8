/**
 * Script-tag entry (`dist/perch.iife.js`). Replaces the snippet's stub with the real API as `window.perch`
 * and replays the queued calls in order. Loading it twice is harmless: the second copy sees `loaded`.
 */
import { replayStub } from '../snippet/replay.js';
import { SNIPPET_VERSION } from '../shared/version.js';
import { createApi } from '../page/api.js';
import { setDefaultAssetBase } from '../page/assets.js';

(() => {
  try {
    const w = window as unknown as { perch?: unknown };
    const stub = w.perch as { loaded?: unknown } | undefined;
    if (stub && stub.loaded) return;
    // The worker is served next to this file unless the shop says otherwise.
    const me = document.currentScript as HTMLScriptElement | null;
    setDefaultAssetBase(me?.src);
    const api = Object.assign(createApi(), { invoked: true, loaded: true, SNIPPET_VERSION });
    w.perch = api;
    replayStub(stub, api);
  } catch {
    // Nothing may escape into the shop's page.
  }
})();
