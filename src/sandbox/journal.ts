/**
 * Append-only journal that makes the sandbox's state survive restarts.
 * Each state change is one JSON line, written (and, by default, fsynced)
 * before the sandbox answers the call that caused it; on start the lines are
 * replayed. A torn last line (crash mid-write) is ignored.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Whether every append waits for the disk (crash-safe) or only for the OS (fast). */
export type Durability = 'fsync' | 'os';

/** A JSON-lines journal file. */
export class Journal<E> {
  private fd: number | undefined;

  constructor(
    readonly file: string,
    private readonly durability: Durability = 'fsync',
  ) {}

  /** Reads every complete event; creates the folder when missing. */
  load(): E[] {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    if (!fs.existsSync(this.file)) return [];
    const text = fs.readFileSync(this.file, 'utf8');
    const events: E[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as E);
      } catch (err) {
        if (i >= lines.length - 2) break; // torn tail from a crash: drop it
        throw new Error(`sandbox journal ${this.file} is corrupt at line ${i + 1}`, { cause: err });
      }
    }
    return events;
  }

  /** Appends events as one write; durable before it returns when durability is 'fsync'. */
  append(events: readonly E[]): void {
    if (events.length === 0) return;
    this.fd ??= fs.openSync(this.file, 'a');
    fs.writeSync(this.fd, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    if (this.durability === 'fsync') fs.fdatasyncSync(this.fd);
  }

  /** Replaces the journal by a compacted list of events (atomic rename). */
  rewrite(events: readonly E[]): void {
    this.close();
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, events.map((e) => JSON.stringify(e) + '\n').join(''));
    const fd = fs.openSync(tmp, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.file);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
