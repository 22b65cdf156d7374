/**
 * `ehbox send|list|get|move|delete|info|receipts|ooo …`: the eHealthBox from
 * the command line with the same clients the gateway uses (sealing on send,
 * unsealing with a verdict on get), against the sandbox or, with a real
 * keystore, acceptance and production.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { readInput, USAGE_EXIT_CODE } from './cli-io.ts';
import { CliContext, NOT_DELIVERED_EXIT_CODE, VERIFY_FAILED_EXIT_CODE, addConnectionOptions, boxText, type ConnectionOptions } from './ehealth-commands.ts';
import { RecipientError, type ExplicitRecipient, type ResolvedRecipient } from '../addressbook/recipient-resolver.ts';
import { isValidSsin, toEhboxType } from '../common/identifiers.ts';
import { unsealMessage, type FieldVerdict } from '../ehbox/message-unsealer.ts';
import { sendPlain, type DeliveryMode, type OooPolicy, type PlainDestination } from '../ehbox/plain-sender.ts';
import { FOLDERS, type BoxAddress, type Folder } from '../ehbox/wire/types.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Common MIME types by extension; anything else is sent as application/octet-stream. */
const MIME_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf', '.txt': 'text/plain', '.xml': 'text/xml', '.html': 'text/html', '.htm': 'text/html',
  '.json': 'application/json', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.rtf': 'application/rtf',
  '.kmehr': 'text/xml', '.hl7': 'text/plain',
};
const mimeOf = (file: string) => MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** `TYPE:ID:QUALITY` (ETK Depot type spelling) → a recipient reference. */
export function parseRecipientSpec(spec: string): ExplicitRecipient {
  const parts = spec.split(':');
  if (parts.length !== 3 || parts.some((p) => p.trim() === '')) throw new CliError(`expected TYPE:ID:QUALITY, got ${spec}`, USAGE_EXIT_CODE);
  return { type: parts[0]!.trim().toUpperCase(), id: parts[1]!.trim(), quality: parts[2]!.trim().toUpperCase() };
}

/** `TYPE:ID:QUALITY` → an ehBox address without any lookup (OoO substitutes). */
function boxOfSpec(spec: string): BoxAddress {
  const r = parseRecipientSpec(spec);
  try {
    return { id: r.id, ...toEhboxType(r.type === 'INSS' ? 'SSIN' : r.type), quality: r.quality };
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), USAGE_EXIT_CODE);
  }
}

function folder(value: string | undefined, fallback: Folder): Folder {
  const f = (value ?? fallback).toUpperCase() as Folder;
  if (!FOLDERS.includes(f)) throw new CliError(`unknown folder ${value} (${FOLDERS.join(', ')})`, USAGE_EXIT_CODE);
  return f;
}

interface SendOptions extends ConnectionOptions {
  to: string[];
  title: string;
  file: string;
  annex?: string[];
  text?: string;
  patient?: string;
  receipts?: boolean;
  important?: boolean;
  mode: string;
  ooo: string;
  publicationId?: string;
}

async function resolveAll(ctx: CliContext, specs: string[]) {
  const c = await ctx.clients();
  const out: { spec: string; resolved?: ResolvedRecipient; error?: RecipientError }[] = [];
  for (const spec of specs) {
    try {
      out.push({ spec, resolved: await c.resolver.resolveExplicit(parseRecipientSpec(spec)) });
    } catch (err) {
      if (!(err instanceof RecipientError)) throw err;
      out.push({ spec, error: err });
    }
  }
  return out;
}

async function sendCommand(o: SendOptions): Promise<void> {
  const ctx = CliContext.open(o);
  if (!['individual', 'shared'].includes(o.mode)) throw new CliError('--mode: individual or shared', USAGE_EXIT_CODE);
  if (!['fail', 'keep', 'forward'].includes(o.ooo)) throw new CliError('--ooo: fail, keep or forward', USAGE_EXIT_CODE);
  if (o.patient !== undefined && !isValidSsin(o.patient)) throw new CliError(`--patient: ${o.patient} is not a valid INSS`, USAGE_EXIT_CODE);
  if (o.publicationId !== undefined && !/^.{1,13}$/.test(o.publicationId)) throw new CliError('--publication-id: 1 to 13 characters', USAGE_EXIT_CODE);
  const c = await ctx.clients();
  const annexes = await Promise.all((o.annex ?? []).map(async (f) => ({ title: path.basename(f), filename: path.basename(f), mimeType: mimeOf(f), content: new Uint8Array(await readInput(f, 'annex')) })));
  const message = {
    title: o.title,
    document: { filename: path.basename(o.file), mimeType: mimeOf(o.file), content: new Uint8Array(await readInput(o.file, 'document')) },
    freeText: o.text,
    patientInss: o.patient,
    annexes,
  };
  const recipients = await resolveAll(ctx, o.to);
  const destinations: PlainDestination[] = recipients.flatMap((r) => (r.resolved ? [{ address: r.resolved.destination, etks: r.resolved.etks }] : []));
  const rows: { to: string; substituteFor?: string; status: string; code: string; message: string }[] = recipients
    .filter((r) => r.error)
    .map((r) => ({ to: r.spec, status: 'failed', code: r.error!.code, message: r.error!.message }));
  if (destinations.length > 0) {
    const result = await sendPlain(c.ehbox, {
      message,
      destinations,
      senderEtks: await c.ownEtks(),
      mode: o.mode as DeliveryMode,
      ooo: o.ooo as OooPolicy,
      receipts: o.receipts ? { published: true, received: true, read: true } : undefined,
      important: o.important,
      publicationId: o.publicationId ? () => o.publicationId : undefined,
      substituteEtks: (b) => c.resolver.etksOfBox(b),
    });
    for (const r of result.results) {
      const out = r.outcome;
      const base = { to: boxText(r.destination), ...(r.substituteFor ? { substituteFor: boxText(r.substituteFor) } : {}) };
      if (out.status === 'published') rows.push({ ...base, status: 'published', code: out.messageId, message: out.oooProcessed ? 'recipient absent, delivered anyway' : '' });
      else if (out.status === 'out-of-office') rows.push({ ...base, status: 'out-of-office', code: '826', message: `absent ${out.absence.absentFrom}..${out.absence.absentTo}; substitutes: ${out.absence.substitutes.map(boxText).join(', ') || 'none'}` });
      else rows.push({ ...base, status: 'failed', code: out.code, message: out.message });
    }
  }
  ctx.print(rows.map((r) => `${r.status.padEnd(13)} ${r.to}  ${r.code}${r.message ? `  ${r.message}` : ''}`).join('\n'), rows);
  const failed = rows.filter((r) => r.status !== 'published').length;
  if (failed > 0) throw new CliError(`${failed} of ${rows.length} destination(s) not delivered`, NOT_DELIVERED_EXIT_CODE);
}

async function listCommand(o: ConnectionOptions & { source?: string; start: string; end: string; allBoxes?: boolean }): Promise<void> {
  const ctx = CliContext.open(o);
  const c = await ctx.clients();
  const range = { source: folder(o.source, 'INBOX'), startIndex: Number(o.start), endIndex: Number(o.end) };
  const res = o.allBoxes ? await c.ehbox.getAllEhboxesMessagesList(range) : await c.ehbox.getMessagesList(range);
  const messages = res.list?.messages ?? [];
  const lines = messages.map((m) => {
    const s = m.contentSpecification;
    const flags = `${s.contentType}${s.isEncrypted ? ' sealed' : ''}${s.isImportant ? ' important' : ''}`;
    return `${m.messageId}  ${m.messageInfo.publicationDate}  ${m.sender.name} (${boxText(m.sender)})  ${m.contentInfo?.title ?? ''}  [${flags}]`;
  });
  ctx.print(lines.length ? lines.join('\n') : `${range.source} is empty`, messages);
}

function fieldLine(f: FieldVerdict): string {
  const warn = f.warnings.length ? ` (warnings: ${f.warnings.join(', ')})` : '';
  return `  ${f.field.padEnd(20)} ${f.status}${f.code ? ` ${f.code}: ${f.reason ?? ''}` : ''}${warn}`;
}

async function getCommand(id: string, o: ConnectionOptions & { source?: string; out?: string; annexDir?: string; showText?: boolean }): Promise<void> {
  const ctx = CliContext.open(o);
  const c = await ctx.clients();
  const source = (o.source ?? 'INBOX').toUpperCase();
  if (!['INBOX', 'SENTBOX', 'HISTORY'].includes(source)) throw new CliError('--source: INBOX, SENTBOX or HISTORY', USAGE_EXIT_CODE);
  const res = await c.ehbox.getFullMessage({ source: source as 'INBOX', messageId: id });
  if (!res.fullMessage) throw new CliError(`message ${id}: no content in the answer`, NOT_DELIVERED_EXIT_CODE);
  const m = unsealMessage(res.fullMessage, { credentials: await ctx.keystore(), trustAnchorsDer: await ctx.trust() });
  if (o.out && m.document.value) await writeFile(o.out, m.document.value);
  if (o.annexDir) {
    for (const [i, a] of m.annexes.entries()) if (a.content.value) await writeFile(path.join(o.annexDir, `${i + 1}-${path.basename(a.filename)}`), a.content.value);
  }
  const lines = [
    `${m.messageId ?? id}  ${m.contentType}  "${m.title}"  from ${m.sender.name} (${boxText(m.sender)})`,
    `verdict: ${m.verdict.ok ? 'OK' : 'FAILED'} (${m.verdict.status})${m.verdict.flagged ? ' — FLAGGED: do not trust this content' : ''}`,
    ...m.fields.map(fieldLine),
    ...(m.notice ? [`notice: ${JSON.stringify(m.notice)}`] : []),
    ...(o.showText && m.freeText?.value !== undefined ? [`free text: ${m.freeText.value}`] : []),
    ...(o.showText && m.table ? m.table.rows.map((r) => `  ${r.left.value ?? '?'} = ${r.right.value ?? '?'}`) : []),
    ...(o.out ? [m.document.value ? `document written to ${o.out}` : 'document unreadable: nothing written'] : []),
  ];
  const { document, annexes, ...rest } = m;
  ctx.print(lines.join('\n'), { ...rest, document: { ...document, value: undefined, size: document.value?.length }, annexes: annexes.map((a) => ({ ...a, content: { verdict: a.content.verdict, size: a.content.value?.length } })) });
  if (!m.verdict.ok) throw new CliError(`message ${id} failed verification: ${m.verdict.problems.map((p) => `${p.field} ${p.code}`).join(', ')}`, VERIFY_FAILED_EXIT_CODE);
}

const BIN_OF: Partial<Record<Folder, Folder>> = { BININBOX: 'INBOX', BINSENTBOX: 'SENTBOX', INBOX: 'BININBOX', SENTBOX: 'BINSENTBOX' };

async function moveCommand(ids: string[], o: ConnectionOptions & { to: string; from?: string }): Promise<void> {
  const ctx = CliContext.open(o);
  const destination = folder(o.to, 'BININBOX');
  const source = folder(o.from, BIN_OF[destination]!);
  const res = await (await ctx.clients()).ehbox.moveMessage({ source, destination, messageIds: ids });
  ctx.print(`moved ${ids.length} message(s) ${source} → ${destination}`, { source, destination, messageIds: ids, response: res.messageIds });
}

async function deleteCommand(ids: string[], o: ConnectionOptions & { source?: string }): Promise<void> {
  const ctx = CliContext.open(o);
  const source = folder(o.source, 'INBOX');
  const res = await (await ctx.clients()).ehbox.deleteMessage({ source, messageIds: ids });
  ctx.print(`deleted ${ids.length} message(s) from ${source}`, { source, messageIds: ids, response: res.messageIds });
}

async function infoCommand(o: ConnectionOptions): Promise<void> {
  const ctx = CliContext.open(o);
  const info = (await (await ctx.clients()).ehbox.getBoxInfo()).boxInfo;
  if (!info) throw new CliError('no box information in the answer');
  ctx.print(`box ${boxText(info.boxId)}\n  size ${info.currentSize} of ${info.maxSize} bytes\n  in stand-by ${info.nbrMessagesInStandBy}${info.currentSize > info.maxSize ? '\n  BOX FULL' : ''}`, info);
}

async function receiptsCommand(id: string, o: ConnectionOptions): Promise<void> {
  const ctx = CliContext.open(o);
  const res = await (await ctx.clients()).ehbox.getMessageAcknowledgmentsStatus({ messageId: id });
  ctx.print(res.rows.map((r) => `${boxText(r.recipient)}  published ${r.published ?? '-'}  received ${r.received ?? '-'}  read ${r.read ?? '-'}`).join('\n') || 'no receipts', res.rows);
}

async function oooList(o: ConnectionOptions): Promise<void> {
  const ctx = CliContext.open(o);
  const res = await (await ctx.clients()).ehbox.getOoOList();
  ctx.print(res.periods.map((p) => `${p.oooId}  ${p.startDate}..${p.endDate}  substitutes: ${p.substitutes.map(boxText).join(', ') || 'none'}`).join('\n') || 'no Out-of-Office period', res.periods);
}

async function oooAdd(o: ConnectionOptions & { from: string; to: string; substitute?: string[] }): Promise<void> {
  const ctx = CliContext.open(o);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.from) || !/^\d{4}-\d{2}-\d{2}$/.test(o.to)) throw new CliError('--from/--to: dates as YYYY-MM-DD', USAGE_EXIT_CODE);
  const substitutes = (o.substitute ?? []).map(boxOfSpec);
  await (await ctx.clients()).ehbox.insertOoO({ startDate: o.from, endDate: o.to, substitutes });
  ctx.print(`Out-of-Office ${o.from}..${o.to} recorded`, { startDate: o.from, endDate: o.to, substitutes });
}

async function oooDelete(ids: string[], o: ConnectionOptions): Promise<void> {
  const ctx = CliContext.open(o);
  const res = await (await ctx.clients()).ehbox.deleteOoO({ oooIds: ids });
  ctx.print(res.oooIds.length ? `not found: ${res.oooIds.join(', ')}` : `deleted ${ids.length} period(s)`, { notFound: res.oooIds });
  if (res.oooIds.length) throw new CliError(`${res.oooIds.length} period(s) not found`, NOT_DELIVERED_EXIT_CODE);
}

/** Registers the `ehbox` command family. */
export function registerEhboxCommands(program: Command): void {
  const ehbox = program.command('ehbox').description('eHealthBox v3: send, read and manage a box');
  const cmd = (name: string, description: string, parent: Command = ehbox) => addConnectionOptions(parent.command(name).description(description));
  cmd('send', 'Seal and send a document to one or more recipients (per-destination results)')
    .requiredOption('--to <TYPE:ID:QUALITY>', 'recipient, e.g. NIHII:12345678:DOCTOR or NIHII-HOSPITAL:71000436:HOSPITAL (repeatable)', collect, [])
    .requiredOption('--title <title>', 'message title (never encrypted)')
    .requiredOption('--file <file>', 'the document')
    .option('--annex <file>', 'an annex (repeatable)', collect, [])
    .option('--text <text>', 'free text')
    .option('--patient <inss>', 'patient INSS')
    .option('--receipts', 'ask published, received and read receipts')
    .option('--important', 'mark as important')
    .option('--mode <mode>', 'individual (one publication per recipient) or shared', 'individual')
    .option('--ooo <policy>', 'absent recipients: fail, keep (deliver anyway) or forward (also to the substitutes)', 'fail')
    .option('--publication-id <id>', 'PublicationId (1-13 characters)')
    .action(sendCommand);
  cmd('list', 'List a folder (newest first, at most 100 per call)')
    .option('--source <folder>', FOLDERS.join(', '), 'INBOX')
    .option('--start <n>', 'first index (1-based)', '1')
    .option('--end <n>', 'last index', '100')
    .option('--all-boxes', 'every box of the caller (getAllEhboxesMessagesList)')
    .action(listCommand);
  cmd('get', 'Fetch a message, unseal every field and print the verdict')
    .argument('<id>', 'MessageId')
    .option('--source <folder>', 'INBOX, SENTBOX or HISTORY', 'INBOX')
    .option('--out <file>', 'write the decrypted document there')
    .option('--annex-dir <dir>', 'write the decrypted annexes there')
    .option('--show-text', 'print the decrypted free text / table')
    .action(getCommand);
  cmd('move', 'Move messages (INBOX↔BININBOX, SENTBOX↔BINSENTBOX)')
    .argument('<ids...>', 'MessageIds (at most 100)')
    .requiredOption('--to <folder>', 'destination folder')
    .option('--from <folder>', 'source folder (default: the counterpart of --to)')
    .action(moveCommand);
  cmd('delete', 'Delete messages for good')
    .argument('<ids...>', 'MessageIds (at most 100)')
    .option('--source <folder>', FOLDERS.join(', '), 'INBOX')
    .action(deleteCommand);
  cmd('info', 'Box id, size, quota and stand-by count').action(infoCommand);
  cmd('receipts', 'Receipt timestamps per recipient of a sent message').argument('<id>', 'MessageId').action(receiptsCommand);
  const ooo = ehbox.command('ooo').description('Out-of-Office periods of the box');
  cmd('list', 'Past, current and future periods', ooo).action(oooList);
  cmd('add', 'Declare a period', ooo)
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD')
    .option('--substitute <TYPE:ID:QUALITY>', 'a substitute (person, repeatable)', collect, [])
    .action(oooAdd);
  cmd('delete', 'Delete periods', ooo).argument('<ids...>', 'OoO ids').action(oooDelete);
}
