/**
 * The local runtime's per-agent log files: every line with an agent's `role` (bound by child() or given
 * on the call) is also one JSON line in `<dir>/<role>.log`; the inner logger still gets every line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withAgentLogFiles } from '../../lambdas/adapters/log/agent-files.logger.ts';
import { createJsonLogger } from '../../lambdas/adapters/log/json.logger.ts';
import { ROLES } from '../../lambdas/core/roles.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(level: 'info' | 'silent' = 'info') {
  const dir = join(mkdtempSync(join(tmpdir(), 'echo-agent-logs-')), 'logs');
  dirs.push(join(dir, '..'));
  const stdout: string[] = [];
  const now = () => new Date('2026-01-15T10:00:00.000Z');
  const inner = createJsonLogger({
    service: 'echo-local',
    level: 'debug',
    sink: { write: (l) => stdout.push(l) },
    now,
  });
  const files = withAgentLogFiles(inner, { dir, roles: ROLES, level, service: 'echo-local', now });
  const read = (role: string) =>
    existsSync(join(dir, `${role}.log`))
      ? readFileSync(join(dir, `${role}.log`), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  return { dir, stdout, files, read };
}

describe('per-agent log files', () => {
  it('routes by role: bound by child(), or on the line; other lines stay on stdout only', async () => {
    const { stdout, files, read } = setup();
    const cto = files.logger.child({ role: 'cto' });
    cto.info('delivery processed', { messageId: 'm-1' });
    cto.debug('below the file level');
    files.logger.warn('llm failed; the rules engine answers', { role: 'chro', error: 'timeout' });
    files.logger.info('sweep done', { published: 3 });
    files.logger.info('not an agent', { role: 'janitor' });
    await files.close();

    expect(stdout).toHaveLength(5);
    expect(read('cto')).toEqual([
      {
        level: 'INFO',
        timestamp: '2026-01-15T10:00:00.000Z',
        service: 'echo-local',
        message: 'delivery processed',
        role: 'cto',
        messageId: 'm-1',
      },
    ]);
    expect(read('chro')).toEqual([
      expect.objectContaining({ level: 'WARN', role: 'chro', error: 'timeout' }),
    ]);
    expect(read('janitor')).toEqual([]);
    expect(JSON.parse(stdout[0]!)).toMatchObject({ role: 'cto', messageId: 'm-1' });
  });

  it('appends across restarts; silent writes no file', async () => {
    const { dir, files, read } = setup();
    files.logger.child({ role: 'ceo' }).info('one');
    await files.close();
    const again = withAgentLogFiles(createJsonLogger({ service: 's', level: 'silent' }), {
      dir,
      roles: ROLES,
      level: 'info',
      service: 'echo-local',
    });
    again.logger.child({ role: 'ceo' }).info('two');
    await again.close();
    expect(read('ceo').map((l) => l.message)).toEqual(['one', 'two']);

    const quiet = setup('silent');
    quiet.files.logger.child({ role: 'ceo' }).error('nothing to the file');
    await quiet.files.close();
    expect(existsSync(quiet.dir)).toBe(false);
    expect(quiet.stdout).toHaveLength(1);
  });
});
