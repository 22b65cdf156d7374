/**
 * `/ui`: the operators' dashboard, server-rendered HTML that reloads itself
 * every few seconds — queue depths and rates, received messages, recent messages with per-recipient
 * state, failures with a retry button, box health, and in sandbox mode the
 * caught e-mails and the sandbox boxes. Behind an admin key.
 */
import express, { Router, type Request, type Response } from 'express';
import { OutboundError } from '../outbound/outbound-errors.ts';
import { MESSAGE_ID_PATTERN } from '../outbound/outbound-service.ts';
import { isEntityId } from '../tenancy/tenancy-keys.ts';
import { endSession, isAdminKey, presentedKey, sameOrigin, startSession } from './dashboard-auth.ts';
import { dashboardSnapshot, JOB_STATES, type DashboardDeps, type DashboardMessage, type DashboardSnapshot } from './dashboard-data.ts';
import { badge, html, page, table, type Html } from './html.ts';

/** Largest login/retry form body: a key or two ids. */
const FORM_LIMIT = '4kb';

function loginPage(res: Response, status: number, message?: string): void {
  const body = html`<header><strong>ehbox-bridge</strong></header><main><section><h2>Dashboard login</h2>
${message ? html`<p class="flash" id="login-error">${message}</p>` : html``}
<form method="post" action="/ui/login"><label>Admin API key <input type="password" name="key" autocomplete="off" size="60" required></label> <button type="submit" id="login">Log in</button></form>
</section></main>`;
  res.status(status).type('html').set('Cache-Control', 'no-store').send(page('ehbox-bridge — login', body));
}

function recipientCell(m: DashboardMessage): Html[] {
  return m.recipients.map((r, i) => html`<div class="recipient" data-idx="${i}"><code>${r.type ?? '?'}:${r.id ?? '?'}${r.quality ? ':' + r.quality : ''}</code> ${badge(r.state, r.code)}${r.group ? html` <small>group ${r.group}</small>` : html``}</div>`);
}

function messageRows(s: DashboardSnapshot): Html {
  const rows = s.messages.map((m) => [html`<code class="message-id" data-message-id="${m.id}">${m.id}</code>`, m.tenantName, m.createdAt, badge(m.state), recipientCell(m)]);
  return table('messages', ['Message', 'Tenant', 'Created', 'State', 'Recipients'], rows, 'No messages yet.');
}

function failureRows(s: DashboardSnapshot): Html {
  const rows = s.failures.map((m) => {
    const failed = m.recipients.filter((r) => r.state === 'failed').map((r) => html`<div><code>${r.type ?? '?'}:${r.id ?? '?'}</code> ${r.code ?? ''} <small>${r.reason ?? ''}</small></div>`);
    const form = html`<form method="post" action="/ui/messages/${m.id}/retry"><input type="hidden" name="tenant" value="${m.tenantId}"><button type="submit" class="retry" data-message-id="${m.id}">Retry failed</button></form>`;
    return [html`<code>${m.id}</code>`, m.tenantName, failed, form];
  });
  return table('failures', ['Message', 'Tenant', 'Failed recipients', ''], rows, 'No failures among the recent messages.');
}

function queueRows(s: DashboardSnapshot): Html {
  const rows = s.queues.map((q) => [
    html`<code>${q.name}</code>`,
    ...JOB_STATES.map((st) => String(q.counts[st] ?? 0)),
    html`<span class="rate-completed">${q.rates.completed}</span>`,
    html`<span class="rate-failed">${q.rates.failed}</span>`,
  ]);
  return table('queues', ['Queue', ...JOB_STATES, 'completed/min', 'failed/min'], rows, 'Queues are not available in this process.');
}

function inboxRows(s: DashboardSnapshot): Html {
  // never the title or any content: ids, sender name, verdict and hand-over state only
  const rows = s.inbox.map((m) => [html`<code class="inbox-id">${m.id}</code>`, m.tenantName, html`<code>${m.boxId}</code>`, m.senderName, m.receivedAt, badge(m.verdict === 'ok' ? 'received' : 'failed', m.verdict), badge(m.state)]);
  return table('inbox', ['Message', 'Tenant', 'Box', 'Sender', 'Received', 'Verdict', 'State'], rows, 'No message received yet.');
}

function boxRows(s: DashboardSnapshot): Html {
  const rows = s.boxes.map((b) => {
    const st = b.status;
    const usage = st?.usage !== undefined ? `${(st.usage * 100).toFixed(1)} %` : '—';
    const poll = st?.lastPoll ? `${st.lastPoll.at} ${st.lastPoll.ok ? 'ok' : st.lastPoll.error ?? 'failed'} (${st.lastPoll.stored} stored)` : '—';
    return [b.tenantName, html`<code>${b.address}</code>`, usage, String(st?.standBy ?? '—'), st?.full ? badge('failed', 'full') : '', poll];
  });
  return table('boxes', ['Tenant', 'Box', 'Usage', 'Stand-by', '', 'Last poll'], rows, 'No sender boxes configured.');
}

function sandboxSections(s: DashboardSnapshot): Html {
  const parts: Html[] = [];
  if (s.mails) {
    const rows = s.mails.map((m) => [m.receivedAt.toISOString(), html`<code>${m.name}</code>`, m.subject]);
    parts.push(html`<section><h2>Caught e-mails (sandbox SMTP catcher)</h2>${table('mails', ['Received', 'File', 'Subject'], rows, 'No e-mail caught yet.')}</section>`);
  }
  if (s.sandboxBoxes) {
    const used = s.sandboxBoxes.filter((b) => b.usedBytes > 0 || Object.values(b.folders).some((n) => n > 0) || b.standBy > 0);
    const folders = [...new Set(s.sandboxBoxes.flatMap((b) => Object.keys(b.folders)))];
    const rows = used.map((b) => [html`<code>${b.party}</code>`, b.quality, ...folders.map((f) => String(b.folders[f] ?? 0)), String(b.standBy), String(b.usedBytes)]);
    parts.push(html`<section><h2>Sandbox boxes (${used.length} of ${s.sandboxBoxes.length} parties hold mail)</h2>${table('sandbox-boxes', ['Party', 'Quality', ...folders, 'Stand-by', 'Bytes'], rows, 'All sandbox boxes are empty.')}</section>`);
  }
  return html`${parts}`;
}

function dashboardPage(s: DashboardSnapshot, flash: string | undefined): string {
  const body = html`<header><strong>ehbox-bridge dashboard</strong><form method="post" action="/ui/logout"><button type="submit">Log out</button></form></header><main>
${flash ? html`<p class="flash" id="flash">${flash}</p>` : html``}
<section><h2>Queues</h2>${queueRows(s)}</section>
<section><h2>Inbox (latest received)</h2>${inboxRows(s)}</section>
<section><h2>Failures</h2>${failureRows(s)}</section>
<section><h2>Recent messages (${s.messages.length})</h2>${messageRows(s)}</section>
<section><h2>Boxes</h2>${boxRows(s)}</section>
${sandboxSections(s)}
</main>`;
  return page('ehbox-bridge dashboard', body, { refresh: true });
}

/** Flash messages the retry redirect can ask for (a fixed set: nothing from the query is echoed). */
const FLASHES: Readonly<Record<string, string>> = {
  retried: 'Failed recipients were put back in the queue.',
  'nothing-to-retry': 'Nothing to retry: no recipient of that message is failed any more, or its content expired.',
  'not-found': 'That message does not exist.',
};

/** Builds the `/ui` router. */
export function dashboardRouter(deps: DashboardDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT });
  const authorized = async (req: Request) => {
    const key = presentedKey(req);
    return key !== undefined && (await isAdminKey(key, deps.tenancy, deps.adminKey));
  };

  r.post('/login', form, async (req, res) => {
    const key = typeof req.body?.key === 'string' ? req.body.key.trim() : '';
    if (!key || !(await isAdminKey(key, deps.tenancy, deps.adminKey))) return loginPage(res, 401, 'That is not an admin key.');
    startSession(req, res, key);
    res.redirect(303, '/ui');
  });
  r.post('/logout', (_req, res) => {
    endSession(res);
    res.redirect(303, '/ui');
  });
  r.get('/', async (req, res) => {
    const queryKey = typeof req.query.key === 'string' ? req.query.key : undefined;
    if (queryKey !== undefined) {
      // a key in the URL logs in once, then the redirect drops it from the address bar
      if (!(await isAdminKey(queryKey, deps.tenancy, deps.adminKey))) return loginPage(res, 401, 'That is not an admin key.');
      startSession(req, res, queryKey);
      return res.redirect(303, '/ui');
    }
    if (!(await authorized(req))) return loginPage(res, 401);
    const flash = typeof req.query.flash === 'string' ? FLASHES[req.query.flash] : undefined;
    res.type('html').set('Cache-Control', 'no-store').send(dashboardPage(await dashboardSnapshot(deps), flash));
  });
  r.post('/messages/:id/retry', form, async (req, res) => {
    if (!(await authorized(req))) return loginPage(res, 401);
    if (!sameOrigin(req)) return void res.status(403).type('text').send('cross-origin form refused');
    const id = String(req.params.id);
    const tenant = typeof req.body?.tenant === 'string' ? req.body.tenant : '';
    if (!MESSAGE_ID_PATTERN.test(id) || !isEntityId(tenant)) return res.redirect(303, '/ui?flash=not-found');
    try {
      await deps.outbound.retry(tenant, id);
      res.redirect(303, '/ui?flash=retried');
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      res.redirect(303, `/ui?flash=${err.code === 'MESSAGE_NOT_FOUND' ? 'not-found' : 'nothing-to-retry'}`);
    }
  });
  return r;
}
