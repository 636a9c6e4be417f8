// The privacy audit page: what Perch stores and sends, read live from audit() and exportData(), as tables,
// with delete-all, export, consent controls and the on-device-only switch. The raw JSON stays available.
import type { AuditReport, ExportedData } from '@perch/sdk';
import { loaded, perch } from '../perch.js';
import { settings, switchMode } from '../settings.js';
import { attrName, getItem } from '../store.js';
import { esc } from './card.js';
import { applyChoice, withdraw } from './consent.js';

type Ev = { eventId?: number; type?: string; ts?: number; list?: string; items?: { id: string; list?: string; index?: number; category?: string; brand?: string; priceBucket?: number; quantity?: number }[]; value?: number; attribution?: string };

const time = (ts: number) => new Date(ts).toLocaleString();
const table = (head: string[], rows: string[][], id: string, empty: string) =>
  rows.length
    ? `<div class="table-wrap"><table id="${id}"><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`
    : `<p class="empty" id="${id}">${esc(empty)}</p>`;
const epsText = (e: number) => (Number.isFinite(e) ? e.toFixed(2) : 'unbounded');
type AuditModel = AuditReport['model'];
const signatureText = (g: AuditModel['signature']) =>
  !g ? '—' : g.status === 'verified' ? `verified (pinned key ${g.keyId})` : g.status === 'unchecked' ? `signed by ${g.keyId}, not checked (no key pinned)` : 'unsigned';
const logText = (l: AuditModel['log']) =>
  !l ? '—' : `entry ${l.index}, head <code class="hash">${esc(l.head.slice(0, 16))}…</code>${l.checked ? ' · consistent with this device\'s last version' : ' · not checked'}${l.witness ? ` · witness at entry ${l.witness.index}` : ''}`;
const kib = (b: number) => (b < 1024 ? `${b} B` : `${(b / 1024).toFixed(1)} KiB`);
const itemLabel = (id: string) => `<span title="${esc(getItem(id)?.name ?? '')}">${esc(id)}</span>`;

function eventsTable(events: Ev[]): string {
  const rows = events.slice(-200).reverse().map((e) => [
    esc(String(e.eventId ?? '')),
    esc(time(e.ts ?? 0)),
    `<details class="inspect"><summary><code>${esc(e.type ?? '?')}</code></summary><pre>${esc(JSON.stringify(e, null, 1))}</pre></details>`,
    (e.items ?? []).slice(0, 4).map((i) => itemLabel(i.id)).join(', ') + ((e.items?.length ?? 0) > 4 ? ` +${(e.items?.length ?? 0) - 4}` : ''),
    esc(e.list ?? e.items?.[0]?.list ?? ''),
    esc([...new Set((e.items ?? []).map((i) => attrName(i.category ?? '') ?? i.category ?? ''))].filter(Boolean).join(', ')),
    e.eventId === undefined ? '' : `<button type="button" class="small-btn" data-delete-event="${e.eventId}" aria-label="Delete event ${e.eventId} (${esc(e.type ?? '')})">Delete</button>`,
  ]);
  return table(['Id', 'When', 'Event (open to inspect)', 'Items', 'List', 'Category', ''], rows, 'events-table', 'Nothing is stored on this device.') +
    (events.length > 200 ? `<p class="muted small">Showing the newest 200 of ${events.length} events; the export has them all.</p>` : '');
}

async function render(main: HTMLElement): Promise<void> {
  if (!(await loaded())) return void (main.innerHTML = '<h1>Privacy audit</h1><p class="empty">The Perch SDK did not load, so nothing runs: nothing is stored or sent.</p>');
  const [a, data] = await Promise.all([perch().audit(), perch().exportData()]) as [AuditReport, ExportedData];
  const events = (data.events ?? []) as Ev[];
  const counts = Object.entries(a.counts).map(([k, v]) => [`<code>${esc(k)}</code>`, String(v)]);
  const consentRows = (['storage', 'personalization', 'training'] as const).map((p) => [esc(p), `<span class="pill ${a.consent[p]}">${esc(a.consent[p])}</span>`]);
  const logRows = [...a.consentLog].reverse().map((l) => [esc(time(l.ts)), esc(l.source), esc(`storage ${l.state.storage}, personalization ${l.state.personalization}, training ${l.state.training}`)]);
  const outRows = a.outbound.map((o) => [esc(time(o.ts)), esc(o.method), `<code>${esc(o.url)}</code>`, kib(o.bytes), esc(String(o.status ?? '')) + (o.refused ? ` <span class="muted small">(refused: ${esc(o.refused)})</span>` : ''), `<details><summary>payload</summary><pre>${esc(o.body)}</pre></details>`]);
  const eps = a.privacy;
  main.innerHTML = `<h1>Privacy audit</h1>
    <p class="lead">Everything on this page is read live from Perch on this device (<code>perch.audit()</code>, <code>perch.exportData()</code>). What leaves the device in each mode is explained in <a href="/docs/privacy.md" target="_blank" rel="noopener">docs/privacy.md</a>.</p>
    <div class="audit-grid">
      <section class="panel" id="panel-mode"><h2>Mode</h2>
        <p><b id="audit-mode">${settings.mode === 'on-device' ? 'On-device only' : 'Federated'}</b>: ${settings.mode === 'on-device' ? 'Perch makes no request except downloading its own scripts and the model.' : 'with training consent, Perch may upload clipped, noised model updates; each request is listed below.'}</p>
        <label class="switch"><input type="checkbox" id="on-device-switch" ${settings.mode === 'on-device' ? 'checked' : ''}/> On-device-only mode (reloads the page)</label></section>
      <section class="panel" id="panel-storage"><h2>Stored on this device</h2>
        <dl class="facts"><dt>Events</dt><dd id="stored-events">${a.storage.events}</dd><dt>Size (estimate)</dt><dd id="stored-bytes">${kib(a.storage.bytes)}</dd><dt>Storage</dt><dd>${esc(a.storage.kind)}${a.storage.reason ? ` (${esc(a.storage.reason)})` : ''}</dd><dt>Retention</dt><dd>${a.retention.maxEvents} events, ${a.retention.maxAgeDays} days</dd><dt>Worker</dt><dd>${a.worker.running ? 'running' : `not running${a.worker.reason ? ` (${esc(a.worker.reason)})` : ''}`}</dd></dl>
        <p><button type="button" id="export">Export JSON</button> <button type="button" id="forget" class="danger">Delete all my data</button></p></section>
      <section class="panel" id="panel-model"><h2>Model</h2>
        <dl class="facts"><dt>Version</dt><dd id="model-version">${esc(a.model.version ?? 'none loaded')}</dd><dt>SHA-256</dt><dd><code class="hash">${esc(a.model.sha256 ?? '—')}</code></dd><dt>Backend</dt><dd id="model-backend">${esc(a.model.backend ?? '—')}${a.model.backendReason ? ` <span class="muted">(${esc(a.model.backendReason)})</span>` : ''}</dd><dt>Signature</dt><dd id="model-signature">${esc(signatureText(a.model.signature))}</dd><dt>Version log</dt><dd id="model-log">${logText(a.model.log)}</dd>${a.model.error ? `<dt>Last problem</dt><dd id="model-error">${esc(a.model.error)}</dd>` : ''}</dl></section>
      <section class="panel" id="panel-privacy"><h2>Privacy budget</h2>
        <p><b id="epsilon">ε ${epsText(eps.epsilonServer)} of ${eps.epsilonBudget}</b> spent against the aggregator, δ = ${eps.delta} (${eps.uploads} upload${eps.uploads === 1 ? '' : 's'})</p>
        <span class="meter wide" aria-hidden="true"><span style="width:${Math.min(100, (eps.epsilonServer / (eps.epsilonBudget || 1)) * 100)}%"></span></span>
        <p class="muted small" id="epsilon-published">Against anyone who sees only published models: ε ${epsText(eps.epsilonPublished)}${eps.epsilonPublished < eps.epsilonServer ? ' (counts the central noise the aggregator announced; holds only if it adds it)' : ''}. Per device installation; the aggregator sees that this device took part.</p>
        <p class="muted small">GPC ${a.gpc ? 'on' : 'off'} · DNT ${a.dnt ? 'on' : 'off'}${a.gpc || a.dnt ? ': training is denied whatever the shop says' : ''}</p>
        <p class="small" id="federated-state">${a.federated ? `Federated learning: ${esc(a.federated.state)} · ${a.federated.uploads} upload${a.federated.uploads === 1 ? '' : 's'} accepted` : 'Federated learning: off (on-device-only mode)'}</p></section>
    </div>
    <section class="panel"><h2>Consent</h2>${table(['Purpose', 'State'], consentRows, 'consent-table', '')}
      <p><button type="button" data-choice="all">Accept all</button> <button type="button" data-choice="device">On this device only</button> <button type="button" id="withdraw" class="danger">Withdraw consent and erase</button></p>
      <h3>Consent log</h3>${table(['When', 'Source', 'State'], logRows, 'consent-log', 'No consent change recorded.')}</section>
    <section class="panel"><h2>Events (${events.length})</h2>
      <p class="muted small">Delete removes one event from this device (<code>perch.forget({ eventIds: [id] })</code>); the export shows each event's id.</p>
      <p class="small" id="events-status" role="status"></p>
      <p class="muted small">Counts: ${counts.length ? counts.map((r) => `${r[0]} ${r[1]}`).join(' · ') : 'none'}</p>
      ${eventsTable(events)}</section>
    <section class="panel"><h2>Outbound requests (transparency log)</h2>
      ${table(['When', 'Method', 'URL', 'Size', 'Status', 'Exact payload'], outRows, 'outbound-table', settings.mode === 'on-device' ? 'None: on-device-only mode sends nothing.' : 'None yet: nothing has been sent.')}</section>
    ${a.federated ? `<section class="panel"><h2>Refused rounds (${a.federated.refusals.length})</h2>
      <p class="muted small">Rounds this device would not take part in: they would have weakened the privacy policy this shop pins.</p>
      ${table(['When', 'Round', 'Code', 'Reason'], [...a.federated.refusals].reverse().map((r) => [esc(time(r.ts)), esc(String(r.round)), `<code>${esc(r.code)}</code>`, esc(r.reason)]), 'refusals-table', 'None.')}</section>` : ''}
    <section class="panel"><h2>Rejected calls (${a.rejected.total})</h2>
      ${table(['When', 'Code', 'Reason'], a.rejected.recent.map((r) => [esc(time(r.ts)), `<code>${esc(r.code)}</code>`, esc(r.reason)]), 'rejected-table', 'None.')}</section>
    <section class="panel"><h2>Dropped fields (${a.droppedFields.total})</h2>
      <p class="muted small">Fields of stored events that could not be used and were left out (or cut to their limit); the events were kept.${Object.keys(a.droppedFields.byField).length ? ` By field: ${Object.entries(a.droppedFields.byField).map(([f, n]) => `<code>${esc(f)}</code> ${n}`).join(' · ')}` : ''}</p>
      ${table(['When', 'Event', 'Field', 'Reason'], a.droppedFields.recent.map((d) => [esc(time(d.ts)), esc(d.event), `<code>${esc(d.field)}</code>`, esc(d.reason)]), 'dropped-table', 'None.')}</section>
    <section class="panel"><h2>Ignored dataLayer pushes (${a.ignored.total})</h2>
      <p class="muted small">Pushes that are not e-commerce (GTM's own events, consent, gtag commands, <code>{ ecommerce: null }</code> clears, other events), counted by kind, never stored.</p>
      ${table(['Kind', 'Pushes'], Object.entries(a.ignored.byKind).map(([k, n]) => [`<code>${esc(k)}</code>`, esc(String(n))]), 'ignored-table', 'None.')}</section>
    <details class="panel raw"><summary>Raw JSON (audit())</summary><pre class="audit" id="audit-json">${esc(JSON.stringify(a, null, 2))}</pre></details>`;
  wire(main, data);
}

function wire(main: HTMLElement, data: ExportedData): void {
  const again = () => void render(main);
  document.getElementById('forget')!.onclick = async () => {
    await perch().forget();
    again();
  };
  document.getElementById('withdraw')!.onclick = async () => {
    await withdraw();
    again();
  };
  for (const b of main.querySelectorAll<HTMLButtonElement>('[data-choice]')) b.onclick = () => (applyChoice(b.dataset.choice as 'all' | 'device'), setTimeout(again, 100));
  for (const b of main.querySelectorAll<HTMLButtonElement>('[data-delete-event]')) {
    b.onclick = async () => {
      b.disabled = true;
      const r = await perch().forget({ eventIds: [Number(b.dataset.deleteEvent)] });
      await render(main);
      const status = document.getElementById('events-status');
      if (status) status.textContent = r.ok ? `Deleted event ${b.dataset.deleteEvent}${r.missing?.length ? ' (it was already gone)' : ''}.` : `Not deleted: ${r.reason ?? 'unknown reason'}.`;
    };
  }
  document.getElementById('export')!.onclick = () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
    a.download = 'perch-export.json';
    a.click();
  };
  document.getElementById('on-device-switch')!.onchange = (e) => switchMode((e.target as HTMLInputElement).checked ? 'on-device' : 'federated');
}

export const renderAudit = render;
