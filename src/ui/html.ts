/**
 * The few HTML helpers the server-rendered dashboard needs: escaping of every
 * interpolated value, tables and the page frame with its inline stylesheet
 * (no external assets: gateways often run without internet access).
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes a value for text and attribute positions. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Markup built by these helpers: already escaped, inserted as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Tagged template that escapes every interpolation except Html values (and arrays of them). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const parts = Array.isArray(v) ? v : [v];
    out += parts.map((p) => (p instanceof Html ? p.text : esc(p))).join('') + strings[i + 1]!;
  });
  return new Html(out);
}

/** A table with a header row; `rows` are cells already built (Html or text). */
export function table(id: string, headers: readonly string[], rows: readonly (readonly unknown[])[], empty: string): Html {
  if (rows.length === 0) return html`<p class="empty" id="${id}">${empty}</p>`;
  const body = rows.map((cells) => html`<tr>${cells.map((c) => html`<td>${c}</td>`)}</tr>`);
  return html`<table id="${id}"><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Seconds between automatic reloads of the dashboard: fresh enough to follow a demo, light on Redis. */
export const REFRESH_SECONDS = 5;

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2733;background:#f4f6f8}
header{background:#1f4e79;color:#fff;padding:10px 20px;display:flex;justify-content:space-between;align-items:center}
main{padding:10px 20px}
section{background:#fff;border:1px solid #d8dee4;border-radius:6px;margin:12px 0;padding:8px 14px}
h2{font-size:16px;margin:6px 0 10px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eceff2;vertical-align:top}
th{font-weight:600;color:#4a5866}
code{font-size:12px}
.state{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;background:#e6eaee;margin:1px 0}
.state-published,.state-received,.state-read,.state-delivered,.state-ooo-forwarded{background:#d3f2dc}
.state-failed,.state-partially-failed{background:#fbd5d5}
.state-sealing,.state-sending,.state-resolving,.state-processing{background:#fdf0c4}
.empty{color:#6b7884;font-style:italic}
.flash{background:#fff7d6;border:1px solid #e8d48a;padding:6px 10px;border-radius:4px}
button{cursor:pointer}
`;

/** The page frame; `refresh` adds the automatic reload. */
export function page(title: string, body: Html, opts: { refresh?: boolean } = {}): string {
  const refresh = opts.refresh ? html`<meta http-equiv="refresh" content="${REFRESH_SECONDS}">` : html``;
  return '<!doctype html>' + html`<html lang="en"><head><meta charset="utf-8">${refresh}<meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${new Html(STYLE)}</style></head><body>${body}</body></html>`.text;
}

/** A state badge. */
export function badge(state: string, extra?: string): Html {
  return html`<span class="state state-${state}" data-state="${state}">${state}${extra ? ' ' + extra : ''}</span>`;
}
