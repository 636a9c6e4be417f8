// Finds a Chromium for Playwright: an explicit path, Playwright's own download, or a system install.
// Shared by the Playwright config, the benchmarks and the demo simulator.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Flags for headless runs on locked-down machines; WebGPU runs on SwiftShader where there is no GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

const SYSTEM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

function playwrightOwn() {
  try {
    const require = createRequire(import.meta.url);
    const { chromium } = require('playwright');
    const p = chromium.executablePath();
    return p && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** Returns the executable path to use, or undefined when none is installed. */
export function findChromium() {
  const explicit = process.env.PERCH_CHROMIUM || process.env.CHROME_PATH;
  if (explicit && existsSync(explicit)) return explicit;
  return playwrightOwn() ?? SYSTEM_PATHS.find((p) => existsSync(p));
}
