// The privacy audit page: what Perch stores and sends, straight from audit()/exportData(), with erase.
import { perch } from '../perch.ts';
import { esc } from './card.ts';

export async function renderAudit(main: HTMLElement): Promise<void> {
  const report = await perch().audit().catch((e: unknown) => ({ error: String(e) }));
  main.innerHTML = `<h1>Privacy audit</h1>
    <p>Everything below is read from the SDK on this device. <button type="button" id="export">Export JSON</button>
    <button type="button" id="forget" class="danger">Delete all my data</button></p>
    <pre class="audit" id="audit-json">${esc(JSON.stringify(report, null, 2))}</pre>`;
  document.getElementById('forget')!.onclick = async () => {
    await perch().forget();
    await renderAudit(main);
  };
  document.getElementById('export')!.onclick = async () => {
    const data = await perch().exportData();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
    a.download = 'perch-export.json';
    a.click();
  };
}
