/**
 * `/openapi.json` and `/docs`: the API description and a plain HTML page
 * listing every operation with its parameters, bodies and answers, schemas
 * in <pre>. Rendered on the server with no script or external asset (the
 * gateway often runs where the internet is not reachable). Open, like the
 * probes: the document holds no data.
 */
import { Router } from 'express';
import { buildOpenApiDocument } from '../openapi.ts';
import type { Doc } from '../openapi-builders.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** The page needs nothing but its own inline style. */
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2.5rem}.op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}.get{color:#0a6}.post{color:#06c}.put{color:#a60}.delete{color:#c22}
code,pre{font-family:ui-monospace,monospace;font-size:12.5px}pre{background:#f6f6f6;padding:.6rem;overflow:auto;max-height:28rem}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}`;

/** HTML-escapes text. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pre = (value: unknown) => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;
const asDoc = (v: unknown): Doc => (typeof v === 'object' && v !== null ? (v as Doc) : {});

function renderParameters(params: unknown): string {
  if (!Array.isArray(params) || params.length === 0) return '';
  const rows = params.map((p: Doc) => {
    const name = typeof p.$ref === 'string' ? p.$ref.split('/').pop() ?? '' : String(p.name);
    const where = typeof p.in === 'string' ? p.in : 'see components';
    return `<tr><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(where)}</td><td>${p.required === true ? 'yes' : ''}</td><td><code>${escapeHtml(JSON.stringify(p.schema ?? ''))}</code></td></tr>`;
  });
  return `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${rows.join('')}</table>`;
}

function renderContent(content: unknown): string {
  return Object.entries(asDoc(content)).map(([media, v]) => `<p>${escapeHtml(media)}</p>${pre(asDoc(v).schema)}`).join('');
}

function renderOperation(path: string, method: string, o: Doc): string {
  const responses = Object.entries(asDoc(o.responses)).map(([status, r]) => {
    const resp = asDoc(r);
    const label = typeof resp.$ref === 'string' ? resp.$ref.split('/').pop() ?? '' : String(resp.description ?? '');
    return `<li><b>${escapeHtml(status)}</b> ${escapeHtml(label)}</li>`;
  });
  const body = o.requestBody ? `<h4>Request body</h4>${renderContent(asDoc(o.requestBody).content)}` : '';
  const auth = Array.isArray(o.security) && o.security.length === 0 ? ' <small>(no API key)</small>' : '';
  return `<div class="op" id="${escapeHtml(String(o.operationId))}"><span class="m ${method}">${method}</span> <code>${escapeHtml(path)}</code>${auth}
<p>${escapeHtml(String(o.summary ?? ''))}</p>${renderParameters(o.parameters)}${body}<h4>Responses</h4><ul>${responses.join('')}</ul></div>`;
}

/** The HTML page of a document. */
export function renderDocsPage(doc: Doc): string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(asDoc(doc.paths))) {
    for (const method of METHODS) {
      const o = asDoc(asDoc(item)[method]);
      if (!o.operationId) continue;
      const tag = Array.isArray(o.tags) && typeof o.tags[0] === 'string' ? o.tags[0] : 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(path, method, o)]);
    }
  }
  const info = asDoc(doc.info);
  const components = asDoc(doc.components);
  const sections = [...byTag].map(([tag, ops]) => `<h2>${escapeHtml(tag)}</h2>${ops.join('\n')}`);
  const schemas = Object.entries(asDoc(components.schemas)).map(([name, s]) => `<h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3>${pre(s)}`);
  const errors = Object.entries(asDoc(components.responses)).map(([name, r]) => `<li><b>${escapeHtml(name)}</b>: ${escapeHtml(String(asDoc(r).description ?? ''))}</li>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(String(info.title))} API</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(String(info.title))} API <small>${escapeHtml(String(info.version))}</small></h1>
<p>${escapeHtml(String(info.description ?? ''))}</p><p>Authentication: <code>Authorization: Bearer &lt;api key&gt;</code>. Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${escapeHtml(String(doc.openapi))}).</p>
${sections.join('\n')}<h2>Errors</h2><p>Every error answers <code>{ requestId, code, message, details? }</code>.</p><ul>${errors.join('')}</ul>
<h2>Schemas</h2>${schemas.join('\n')}</body></html>`;
}

/** The docs router (mount at the root, outside `/v1`, before authentication). */
export function docsRouter(doc: Doc = buildOpenApiDocument()): Router {
  const json = JSON.stringify(doc);
  const html = renderDocsPage(doc);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').set('Cache-Control', 'no-cache').send(json);
  });
  router.get('/docs', (_req, res) => {
    res.type('text/html').set('Content-Security-Policy', DOCS_CSP).set('Cache-Control', 'no-cache').send(html);
  });
  return router;
}
