// The consent banner (deny / this device only / accept all) and withdrawal, mapped onto Perch's purposes.
import { perch } from '../perch.js';
import { settings } from '../settings.js';

export type Choice = 'all' | 'device' | 'none';
const KEY = 'demo-consent';

/** Applies a banner choice. `all` grants training only in federated mode (on-device mode never uploads). */
export function applyChoice(c: Choice): void {
  localStorage.setItem(KEY, c);
  const banner = document.getElementById('consent-banner');
  if (banner) banner.hidden = true;
  if (c === 'all') perch().consent.set({ storage: 'granted', personalization: 'granted', training: settings.mode === 'federated' ? 'granted' : 'denied' });
  else if (c === 'device') perch().consent.set({ storage: 'granted', personalization: 'granted', training: 'denied' });
  else perch().consent.set({ storage: 'denied', personalization: 'denied', training: 'denied' });
}

/** Shows the banner unless the URL (`?consent=`) or an earlier choice decides. */
export function consentBanner(): void {
  const banner = document.getElementById('consent-banner')!;
  const param = settings.consentParam;
  const choice = param === 'all' || param === 'none' || param === 'device' ? param : localStorage.getItem(KEY);
  document.getElementById('consent-all')!.onclick = () => applyChoice('all');
  document.getElementById('consent-device')!.onclick = () => applyChoice('device');
  document.getElementById('consent-deny')!.onclick = () => applyChoice('none');
  if (choice === 'all' || choice === 'none' || choice === 'device') applyChoice(choice);
  else {
    banner.hidden = false;
    document.getElementById('consent-device')!.focus({ preventScroll: true });
  }
}

/** Withdraws every purpose: Perch erases its database (withdrawal erases) and stops storing. */
export async function withdraw(): Promise<void> {
  applyChoice('none');
  await perch().forget();
}
