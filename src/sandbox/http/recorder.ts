/**
 * Traffic recording (`--record DIR` / SANDBOX_RECORD_DIR): every request and
 * response envelope the sandbox handles is written as
 * `DIR/<seq>-<operation>-request.xml` and `-response.xml`, attachments left
 * out, so the traffic of a test run can be validated against the XSDs.
 * Several sandboxes (e.g. parallel test files) may record into one folder:
 * request files are created exclusively and a taken number is skipped.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Digits of the sequence number in file names (sorts well up to a million exchanges). */
const SEQ_DIGITS = 6;
/** Numbers tried before giving up on a request file (another recorder racing for the same ones). */
const MAX_SEQ_ATTEMPTS = 1000;

/** Writes numbered request/response files. */
export class TrafficRecorder {
  private seq = 0;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    const existing = fs.readdirSync(dir).map((f) => Number.parseInt(f, 10)).filter(Number.isFinite);
    this.seq = existing.length ? Math.max(...existing) : 0;
  }

  /** Writes a request under the next free number and returns that number (for its response). */
  writeRequest(operation: string, xml: string): number {
    for (let i = 0; i < MAX_SEQ_ATTEMPTS; i++) {
      const seq = ++this.seq;
      try {
        fs.writeFileSync(this.file(seq, operation, 'request'), xml, { flag: 'wx' });
        return seq;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
      }
    }
    throw new Error(`sandbox recorder: no free sequence number in ${this.dir}`);
  }

  /** Writes the response of the request recorded as `seq`. */
  writeResponse(seq: number, operation: string, xml: string): void {
    fs.writeFileSync(this.file(seq, operation, 'response'), xml);
  }

  private file(seq: number, operation: string, kind: 'request' | 'response'): string {
    return path.join(this.dir, `${String(seq).padStart(SEQ_DIGITS, '0')}-${operation.replace(/[^A-Za-z0-9_-]/g, '_')}-${kind}.xml`);
  }
}
