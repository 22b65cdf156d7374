/**
 * Content-addressed storage of the sealed blobs the sandbox receives
 * (documents, annexes, sealed fields). In memory, or on disk under the
 * sandbox data dir so that a restart keeps every message readable.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { BlobRef } from './ehbox/model.ts';

/** Stores bytes by SHA-256 and hands them back. */
export class BlobArea {
  private readonly memory = new Map<string, Buffer>();

  /** `dir` undefined keeps everything in memory. */
  constructor(private readonly dir?: string) {
    if (dir) fs.mkdirSync(dir, { recursive: true });
  }

  /** Stores the bytes (durably when on disk) and returns their reference. */
  put(bytes: Uint8Array): BlobRef {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const sha256 = crypto.createHash('sha256').update(buf).digest('hex');
    if (!this.dir) {
      this.memory.set(sha256, buf);
    } else {
      const file = this.fileOf(sha256);
      if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        const fd = fs.openSync(tmp, 'w');
        fs.writeSync(fd, buf);
        fs.fdatasyncSync(fd);
        fs.closeSync(fd);
        fs.renameSync(tmp, file);
      }
    }
    return { sha256, size: buf.length };
  }

  /** Returns the bytes of a reference; throws when unknown. */
  get(ref: BlobRef): Buffer {
    if (!this.dir) {
      const b = this.memory.get(ref.sha256);
      if (!b) throw new Error(`sandbox blob ${ref.sha256} is missing`);
      return b;
    }
    return fs.readFileSync(this.fileOf(ref.sha256));
  }

  /** Forgets everything (sandbox reset). */
  clear(): void {
    this.memory.clear();
    if (this.dir) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      fs.mkdirSync(this.dir, { recursive: true });
    }
  }

  private fileOf(sha256: string): string {
    return path.join(this.dir!, sha256.slice(0, 2), sha256);
  }
}
