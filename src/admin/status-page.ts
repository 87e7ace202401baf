// The read-only status page (GET /), rendered on the server from a StatusSnapshot: no build step,
// no external assets, no script (the page refreshes itself with <meta http-equiv="refresh">, since
// /api needs a token the browser does not have). Values go through the `html` tag, which escapes
// them: AE titles and TLS subjects come from callers and must show as text, never as markup.
import { html, trustedConstant, type SafeHtml } from './html.ts';
import { CERT_WARN_DAYS, type NodeView, type StatusSnapshot } from './status.ts';
import type { AssociationInfo, CertificateStatus, RejectionInfo } from './types.ts';

export const REFRESH_SECONDS = 10;

type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'info';

const pill = (tone: Tone, text: string): SafeHtml => html`<span class="pill ${tone}">${text}</span>`;

/** ISO 8601 → `2026-11-25 15:19:36 UTC`; anything unparsable is shown as given. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** host:port, [v6]:port for IPv6, the bare host when there is no port (0). */
export function formatAddress(host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port > 0 ? `${h}:${port}` : h || '—';
}

function since(iso: string, now: Date): string {
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? '' : `${formatDuration((now.getTime() - t) / 1000)} ago`;
}

function table(headers: string[], rows: SafeHtml[], empty: string): SafeHtml {
  const body = rows.length > 0 ? rows : [html`<tr><td class="empty" colspan="${headers.length}">${empty}</td></tr>`];
  return html`<div class="scroll"><table><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function section(id: string, title: string, count: number | null, content: SafeHtml): SafeHtml {
  const badge = count === null ? '' : html`<span class="count">${count}</span>`;
  return html`<section id="${id}"><h2>${title} ${badge}</h2>${content}</section>`;
}

const code = (v: string | null | undefined): SafeHtml => (v ? html`<code>${v}</code>` : html`<span class="dim">—</span>`);

function phaseTone(phase: string): Tone {
  return phase === 'ready' ? 'ok' : phase === 'draining' ? 'bad' : 'warn';
}

function reachCell(n: NodeView, now: Date): SafeHtml {
  if (!n.reachable) return pill('muted', 'behind NAT: not called');
  const r = n.lastReachable;
  if (!r) return pill('info', 'not checked yet');
  const when = html`<div class="sub" title="${formatTime(r.time)}">${since(r.time, now)}</div>`;
  if (r.ok) return html`${pill('ok', 'reachable')}${when}`;
  return html`${pill('bad', 'unreachable')}<div class="sub">${r.error ?? ''}</div>${when}`;
}

function nodeRow(n: NodeView, now: Date): SafeHtml {
  const real = n.aeTitle ? html`<div class="sub">calls it ${code(n.aeTitle)}</div>` : '';
  const addr = n.configured ? formatAddress(n.host, n.port) : 'removed from config';
  return html`<tr><td>${code(n.name)}${real}</td><td class="mono">${addr}</td><td>${n.tls ? pill('ok', 'TLS') : pill('muted', 'plain')}</td><td>${reachCell(n, now)}</td><td class="num">${n.activeAssociations}</td></tr>`;
}

function dimseList(d: Record<string, number>): SafeHtml {
  const entries = Object.entries(d).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return html`<span class="dim">—</span>`;
  return html`${entries.map(([k, v]) => html`<span class="tag">${k} <b>${v}</b></span>`)}`;
}

function associationRow(a: AssociationInfo, now: Date): SafeHtml {
  return html`<tr>
<td class="mono">${a.id}</td><td>${a.listener}</td><td class="mono">${a.peerAddress}</td>
<td>${code(a.callingAe)} → ${code(a.calledAe)}</td><td>${a.node === null ? pill('info', 'gateway') : code(a.node)}</td>
<td class="subject">${a.tlsPeerSubject ?? html`<span class="dim">plain</span>`}</td>
<td><span title="${formatTime(a.started)}">${formatTime(a.started)}</span><div class="sub">${since(a.started, now)}</div></td>
<td class="num">${formatBytes(a.bytesToNode)}</td><td class="num">${formatBytes(a.bytesToCaller)}</td>
<td>${dimseList(a.dimse)}</td><td>${a.state}</td></tr>`;
}

function rejectionRow(r: RejectionInfo): SafeHtml {
  const tone: Tone = r.reason === 'certificate' ? 'bad' : 'warn';
  return html`<tr><td class="nowrap">${formatTime(r.time)}</td><td>${r.listener}</td><td class="mono">${r.peerAddress}</td><td>${code(r.callingAe)}</td><td>${code(r.calledAe)}</td><td>${pill(tone, r.reason)}</td><td>${r.message}</td></tr>`;
}

function certTone(c: CertificateStatus): Tone {
  return c.daysLeft < 0 ? 'bad' : c.daysLeft < CERT_WARN_DAYS ? 'warn' : 'ok';
}

function certRow(c: CertificateStatus): SafeHtml {
  const tone = certTone(c);
  const days = Math.floor(c.daysLeft);
  const text = days < 0 ? `expired ${-days} days ago` : `${days} days left`;
  return html`<tr class="${tone === 'ok' ? '' : `row-${tone}`}"><td>${c.name}</td><td class="subject">${c.subject}</td><td class="nowrap">${formatTime(c.notAfter)}</td><td>${pill(tone, text)}</td></tr>`;
}

function tile(label: string, value: string, tone: Tone): SafeHtml {
  return html`<div class="tile ${tone}"><div class="tile-value">${value}</div><div class="tile-label">${label}</div></div>`;
}

function summary(s: StatusSnapshot): SafeHtml {
  const bound = s.listeners.filter((l) => l.bound).length;
  const failing = s.nodes.filter((n) => n.reachable && n.lastReachable && !n.lastReachable.ok).length;
  const soonest = s.certificates.reduce<CertificateStatus | null>((m, c) => (m === null || c.daysLeft < m.daysLeft ? c : m), null);
  return html`<div class="tiles">
${tile('listeners bound', `${bound} / ${s.listeners.length}`, bound === s.listeners.length ? 'ok' : 'bad')}
${tile('nodes unreachable', `${failing} / ${s.nodes.length}`, failing === 0 ? 'ok' : 'bad')}
${tile('active associations', String(s.associations.length), 'info')}
${tile('recent rejections', String(s.rejections.length), s.rejections.length === 0 ? 'ok' : 'warn')}
${soonest ? tile(`next expiry (${soonest.name})`, `${Math.floor(soonest.daysLeft)} days`, certTone(soonest)) : tile('certificates', 'none', 'muted')}
</div>`;
}

export function renderStatusPage(s: StatusSnapshot): string {
  const now = new Date(s.generatedAt);
  const g = s.gateway;
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>${g.aeTitle} · dicom-tls-gateway</title>
<style>${trustedConstant(STYLE)}</style></head>
<body>
<header><div class="brand"><span class="product">dicom-tls-gateway</span><h1>${g.aeTitle}</h1></div>
<div class="meta">${pill(phaseTone(g.phase), g.phase)}<span>version <b>${g.version}</b></span><span>up <b>${formatDuration(g.uptimeSeconds)}</b></span><span>since ${formatTime(g.startedAt)}</span></div></header>
<main>
${summary(s)}
${section('listeners', 'Listeners', s.listeners.length, table(['Name', 'Address', 'Transport', 'Bound'], s.listeners.map((l) => html`<tr><td>${l.name}</td><td class="mono">${formatAddress(l.host, l.port)}</td><td>${l.tls ? pill('ok', l.requireClientCert ? 'TLS, client cert required' : 'TLS') : pill('muted', 'plain')}</td><td>${l.bound ? pill('ok', 'bound') : pill('bad', 'not bound')}</td></tr>`), 'No listeners configured.'))}
${section('nodes', 'Nodes', s.nodes.length, table(['AE title', 'Address', 'Transport', 'Reachability', 'Active'], s.nodes.map((n) => nodeRow(n, now)), 'No nodes configured.'))}
${section('rules', 'Rules', s.rules.length, table(['From', '', 'To', 'Services'], s.rules.map((r) => html`<tr><td>${r.from.map((a) => html`${code(a)} `)}</td><td class="arrow">→</td><td>${r.to.map((a) => html`${code(a)} `)}</td><td>${r.services ? r.services.map((x) => html`<span class="tag">${x}</span>`) : html`<span class="dim">all services</span>`}</td></tr>`), 'No rules: every call is denied.'))}
${section('associations', 'Active associations', s.associations.length, table(['ID', 'Listener', 'Peer', 'Calling → Called', 'Node', 'TLS subject', 'Started', 'To node', 'To caller', 'DIMSE', 'State'], s.associations.map((a) => associationRow(a, now)), 'No active associations.'))}
${section('rejections', 'Recent rejections', s.rejections.length, table(['Time', 'Listener', 'Peer', 'Calling AE', 'Called AE', 'Reason', 'Detail'], s.rejections.map(rejectionRow), 'No rejections.'))}
${section('certificates', 'Certificates', s.certificates.length, table(['Name', 'Subject', 'Not after', 'Validity'], s.certificates.map(certRow), 'No TLS certificates loaded.'))}
</main>
<footer>Generated ${formatTime(s.generatedAt)} · refreshes every ${REFRESH_SECONDS} s · AE titles and counts only, no patient data · JSON at <code>/api/status</code> (token) · metrics at <code>/metrics</code></footer>
</body></html>
`;
  return page.toString();
}

const STYLE = `
:root{--bg:#f4f6f9;--fg:#1d2733;--dim:#6b7785;--line:#dde3ea;--head:#17324d;--card:#fff;
--ok:#1a7f37;--ok-bg:#dcf5e3;--warn:#8a5a00;--warn-bg:#fff1c2;--bad:#b42318;--bad-bg:#fde4e1;--info:#1f5fa8;--info-bg:#e2eefb;--muted:#57606a;--muted-bg:#eceff3}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans","DejaVu Sans",sans-serif}
header{background:var(--head);color:#fff;padding:14px 28px;display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:12px}
.brand{display:flex;align-items:baseline;gap:14px}.product{opacity:.75;font-size:13px;letter-spacing:.04em;text-transform:uppercase}
h1{margin:0;font-size:22px;font-weight:600;word-break:break-all}
.meta{display:flex;flex-wrap:wrap;gap:16px;align-items:center;font-size:13px;opacity:.95}
main{max-width:1440px;margin:0 auto;padding:20px 28px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;margin-bottom:20px}
.tile{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--muted);border-radius:6px;padding:10px 14px}
.tile.ok{border-left-color:var(--ok)}.tile.warn{border-left-color:#d4a017}.tile.bad{border-left-color:var(--bad)}.tile.info{border-left-color:var(--info)}
.tile-value{font-size:22px;font-weight:600}.tile-label{color:var(--dim);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;margin-bottom:18px;overflow:hidden}
h2{margin:0;padding:10px 16px;font-size:15px;font-weight:600;border-bottom:1px solid var(--line);background:#fafbfc}
.count{display:inline-block;min-width:22px;padding:0 7px;margin-left:6px;border-radius:10px;background:var(--muted-bg);color:var(--muted);font-size:12px;text-align:center}
.scroll{overflow-x:auto}
table{width:100%;border-collapse:collapse}
th,td{padding:7px 12px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
th{font-size:12px;font-weight:600;color:var(--dim);text-transform:uppercase;letter-spacing:.03em;white-space:nowrap}
tbody tr:nth-child(even){background:#fafbfc}tbody tr:last-child td{border-bottom:0}
tr.row-warn td{background:#fffaeb}tr.row-bad td{background:#fff3f1}
td.empty{color:var(--dim);font-style:italic;text-align:center;padding:14px}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.arrow{color:var(--dim);width:1%}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
code{background:#eef1f5;border-radius:3px;padding:1px 5px;word-break:break-all}
.subject{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all;max-width:320px}
.nowrap{white-space:nowrap}.sub{color:var(--dim);font-size:12px;margin-top:2px}.dim{color:var(--dim)}
.pill{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.pill.ok{color:var(--ok);background:var(--ok-bg)}.pill.warn{color:var(--warn);background:var(--warn-bg)}.pill.bad{color:var(--bad);background:var(--bad-bg)}
.pill.info{color:var(--info);background:var(--info-bg)}.pill.muted{color:var(--muted);background:var(--muted-bg)}
header .pill{font-size:13px;text-transform:uppercase}
.tag{display:inline-block;margin:0 4px 3px 0;padding:0 6px;border:1px solid var(--line);border-radius:4px;font-size:12px;white-space:nowrap}
footer{max-width:1440px;margin:0 auto;padding:4px 28px 24px;color:var(--dim);font-size:12px}
`;
