/**
 * A recording HTTP relay between the clients under test and an eHealth
 * endpoint (the sandbox, or acceptance over https): every request envelope the
 * clients emit is kept with its operation, so tests can count calls (one STS
 * call, one depot call …) and validate every request against the official
 * XSDs with xmllint — whatever the target.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseEnvelope } from '../../../src/soap/envelope.ts';
import { isMultipartRelated, parseMultipartRelated } from '../../../src/soap/swa.ts';
import { operationForRequestElement } from '../../../src/soap/soap-actions.ts';
import { validateFiles } from '../../../src/soap/xsd-validator.ts';

/** One relayed request. */
export interface RecordedRequest {
  path: string;
  /** SOAP operation name (getEtk, sendMessage, stsRequestSecureToken, …) or `unknown`. */
  operation: string;
  envelopeXml: string;
}

function envelopeOf(body: Buffer, contentType: string | undefined): string {
  if (isMultipartRelated(contentType)) return parseMultipartRelated(body, contentType!).envelopeXml;
  return body.toString('utf8');
}

function operationOf(xml: string): string {
  try {
    const p = parseEnvelope(xml).payload;
    return operationForRequestElement(p.namespaceURI ?? null, p.localName ?? '') ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A running relay. */
export class RecordingProxy {
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly requests: RecordedRequest[],
  ) {}

  /** Starts a relay on 127.0.0.1:0 toward `upstream` (http or https base URL). */
  static async start(upstream: string): Promise<RecordingProxy> {
    const target = new URL(upstream);
    const transport = target.protocol === 'https:' ? https : http;
    const agent = new transport.Agent({ keepAlive: true });
    const requests: RecordedRequest[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        let envelopeXml: string;
        try {
          envelopeXml = envelopeOf(body, req.headers['content-type']);
        } catch {
          envelopeXml = '';
        }
        if (req.url && !req.url.startsWith('/_sandbox')) requests.push({ path: req.url, operation: operationOf(envelopeXml), envelopeXml });
        const headers = { ...req.headers, host: target.host };
        const out = transport.request(new URL(req.url ?? '/', target), { method: req.method, headers, agent }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        out.on('error', () => res.destroy());
        res.on('close', () => out.destroy());
        out.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RecordingProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests);
  }

  /** Requests of one operation so far. */
  count(operation: string): number {
    return this.requests.filter((r) => r.operation === operation).length;
  }

  /** Every recorded request validated with xmllint against the official XSDs; returns the invalid ones. */
  async invalidRequests(): Promise<{ operation: string; errors: string[] }[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-recorded-'));
    try {
      const files = this.requests.map((r, i) => {
        const file = path.join(dir, `${String(i).padStart(5, '0')}-${r.operation}-request.xml`);
        fs.writeFileSync(file, r.envelopeXml);
        return { file, operation: r.operation };
      });
      const results = await validateFiles(files.map((f) => f.file));
      return files.filter((f) => !results.get(f.file)!.valid).map((f) => ({ operation: f.operation, errors: results.get(f.file)!.errors.slice(0, 3) }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
