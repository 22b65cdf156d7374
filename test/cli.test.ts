import { describe, expect, it } from 'vitest';
import { buildProgram, main } from '../src/cli/index.ts';

describe('ehbox-bridge command', () => {
  it('has help for every command', () => {
    const program = buildProgram();
    const walk = (cmd: typeof program): string[] => [cmd.name(), ...cmd.commands.flatMap(walk)];
    const names = walk(program);
    expect(names).toContain('pki');
    for (const cmd of program.commands) expect(cmd.helpInformation()).toMatch(/Usage:/);
  });

  it('fails with a non-zero code on an unknown command', async () => {
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['no-such-command'])).not.toBe(0);
    } finally {
      process.stderr.write = write;
    }
  });
});
