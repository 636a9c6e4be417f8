// Runs one benchmark request in a fresh module worker of an open page and returns its result.
import type { Page } from 'playwright';
import type { BenchRequest, BenchResult, WorkerReply } from './protocol.js';

export async function runInWorker(page: Page, req: BenchRequest): Promise<BenchResult> {
  const reply = await page.evaluate(
    (r) =>
      new Promise<WorkerReply>((resolve) => {
        const w = new Worker('/worker.js', { type: 'module' });
        w.onmessage = (e) => {
          w.terminate();
          resolve(e.data as WorkerReply);
        };
        w.onerror = (e) => {
          w.terminate();
          resolve({ ok: false, error: `worker error: ${e.message}` });
        };
        w.postMessage(r);
      }),
    req,
  );
  if (!reply.ok) throw new Error(`${req.backend}: ${reply.error}`);
  return reply.result;
}
