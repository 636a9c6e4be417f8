/**
 * Fault injection for the browser tests (`__test` in the fixture pages' config, never in shop docs).
 * It breaks the real IndexedDB of this worker in the ways browsers do: missing, hung open, full disk; and it can
 * keep the vector a secure-aggregation round encoded (`__perchSecAggInputs`), which a test sums to check the
 * published model against.
 */
import type { StoreTestFlags } from '../shared/worker-api.js';

let applied = false;

function quotaError(): DOMException {
  return new DOMException('Perch test hook: quota exceeded', 'QuotaExceededError');
}

export function applyTestFlags(flags: StoreTestFlags | undefined): void {
  if (!flags || applied) return;
  applied = true;
  const scope = globalThis as unknown as Record<string, unknown>;
  if (flags.keepSecAggInput) scope.__perchSecAggInputs = [];
  if (flags.noIndexedDB) Object.defineProperty(scope, 'indexedDB', { value: undefined, configurable: true });
  if (flags.hangOpen && typeof IDBFactory !== 'undefined') {
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (this: IDBFactory, name: string, version?: number) {
      // A real request on another database whose events never reach the caller: a hung open.
      const req = open.call(this, `${name}__hang`, version);
      for (const t of ['success', 'error', 'upgradeneeded', 'blocked']) {
        req.addEventListener(t, (e) => e.stopImmediatePropagation(), { capture: true });
      }
      return req;
    };
  }
  if (flags.quota && typeof IDBObjectStore !== 'undefined') {
    const proto = IDBObjectStore.prototype;
    const { add, put } = proto;
    const restore = (): void => { proto.add = add; proto.put = put; };
    const fail = function (): never {
      if (flags.quota === 'once') restore();
      throw quotaError();
    };
    proto.add = fail as typeof add;
    proto.put = fail as typeof put;
  }
}
