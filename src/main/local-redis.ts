/**
 * The two-command start needs a Redis: when nothing answers at REDIS_URL on
 * this machine and `redis-server` is installed, start one for the session,
 * with AOF persistence in `$EHBOX_DATA_DIR/redis` so accepted messages
 * survive a restart. Otherwise, say exactly how to get one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
/** How long to wait for the started Redis to accept connections. */
const START_TIMEOUT_MS = 10_000;

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Thrown when no Redis can be had; the message tells the user what to do. */
export class RedisMissingError extends Error {}

/**
 * Makes sure a Redis answers at `redisUrl`; returns the child process when
 * one was started (stop it on shutdown), undefined when one already answered.
 */
export async function ensureLocalRedis(redisUrl: string, dataDir: string, log: (line: string) => void): Promise<ChildProcess | undefined> {
  const url = new URL(redisUrl);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 6379);
  if (await answers(host, port)) return undefined;
  if (!LOCAL_HOSTS.has(host)) throw new RedisMissingError(`Redis at ${redisUrl} does not answer. Start it, or point REDIS_URL at a running Redis.`);
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new RedisMissingError(
      `No Redis answers at ${redisUrl} and redis-server is not installed.\n` +
        '  Debian/Ubuntu: sudo apt-get install redis-server\n' +
        '  macOS:         brew install redis\n' +
        '  Docker:        docker run -p 6379:6379 redis:7 --appendonly yes\n' +
        'or set REDIS_URL to a running Redis.',
    );
  }
  const dir = path.resolve(dataDir, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  log(`starting redis-server on ${host}:${port} (AOF in ${dir})…`);
  const child = spawn('redis-server', ['--port', String(port), '--bind', host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''), '--appendonly', 'yes', '--dir', dir, '--save', '', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await answers(host, port)) return child;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new RedisMissingError(`redis-server did not start on port ${port}; is the port taken?`);
}
