/**
 * Traffic recording (`--record DIR` / SANDBOX_RECORD_DIR): every request and
 * response envelope the sandbox handles is written as
 * `DIR/<seq>-<operation>-request.xml` and `-response.xml`, attachments left
 * out, so the traffic of a test run can be validated against the XSDs.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Writes numbered request/response files. */
export class TrafficRecorder {
  private seq = 0;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    const existing = fs.readdirSync(dir).map((f) => Number.parseInt(f, 10)).filter(Number.isFinite);
    this.seq = existing.length ? Math.max(...existing) : 0;
  }

  /** Reserves the sequence number of one exchange. */
  next(): number {
    return ++this.seq;
  }

  write(seq: number, operation: string, kind: 'request' | 'response', xml: string): void {
    const name = `${String(seq).padStart(6, '0')}-${operation.replace(/[^A-Za-z0-9_-]/g, '_')}-${kind}.xml`;
    fs.writeFileSync(path.join(this.dir, name), xml);
  }
}
