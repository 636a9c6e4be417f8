// The demo's switches, read once per page load: `?mode=on-device|federated`, `?consent=all|device|none`,
// `?compare=1`. The mode is remembered (localStorage) so the audit page's switch survives navigation.
const params = new URLSearchParams(location.search);

function readMode(): 'on-device' | 'federated' {
  const p = params.get('mode');
  if (p === 'on-device' || p === 'federated') {
    localStorage.setItem('demo-mode', p);
    return p;
  }
  return localStorage.getItem('demo-mode') === 'federated' ? 'federated' : 'on-device';
}

export const settings = {
  mode: readMode(),
  consentParam: params.get('consent'),
  compare: params.get('compare') === '1' || sessionStorage.getItem('demo-compare') === '1',
  aggregatorUrl: (import.meta.env.VITE_PERCH_AGGREGATOR as string | undefined) ?? 'http://127.0.0.1:8787',
  /** The aggregator's public signing key(s), comma-separated at build time (start.mjs): pinned in federated mode. */
  modelKeys: ((import.meta.env.VITE_PERCH_MODEL_KEYS as string | undefined) ?? '').split(',').filter(Boolean),
  modelUrl: __PERCH_MODEL_URL__,
};

/** Reloads the page in the other mode (Perch's init() runs once per page, so a mode change needs a reload). */
export function switchMode(mode: 'on-device' | 'federated'): void {
  localStorage.setItem('demo-mode', mode);
  const u = new URL(location.href);
  u.searchParams.set('mode', mode);
  u.searchParams.delete('consent');
  location.href = u.href;
}

export function setCompare(on: boolean): void {
  settings.compare = on;
  sessionStorage.setItem('demo-compare', on ? '1' : '0');
}
