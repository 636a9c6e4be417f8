// Makes sure a Chromium exists before browser tests: Playwright's download where the network allows it,
// else the system package (Debian/Ubuntu `chromium`, installed with apt when running as root).
import { spawnSync } from 'node:child_process';
import { findChromium } from './chromium.mjs';

function run(cmd, args) {
  console.log(`[ensure-chromium] ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
}

if (!findChromium()) {
  run('npx', ['--yes', 'playwright', 'install', 'chromium']);
  if (!findChromium() && process.getuid?.() === 0 && spawnSync('which', ['apt-get']).status === 0) {
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium']);
  }
}
const found = findChromium();
if (!found) {
  console.error('[ensure-chromium] no Chromium found: install one, or set PERCH_CHROMIUM=/path/to/chrome');
  process.exit(1);
}
console.log(`[ensure-chromium] using ${found}`);
