/**
 * A private PostgreSQL server for fault tests and the soak: its own cluster (initdb into a temporary
 * directory) on its own port, so it can be stopped and started again mid-run. The shared server
 * (DATABASE_URL, port 5432) is never touched.
 *
 * PostgreSQL refuses to run as root, and CI runs as root: there the cluster belongs to the `postgres`
 * user and every command runs through `runuser -u postgres --`. Authentication is `trust` on loopback
 * only; the socket lives in the data directory. `fsync` is off unless a caller tests durability.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { eventually } from './eventually.ts';
import { freePort } from './processes.ts';
import { onCi } from './services.ts';

const run = promisify(execFile);

export interface PostgresServer {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** A URL for another database on this server. */
  urlFor(database: string): string;
  dataDir: string;
  /** Stops the server: `fast` ends sessions cleanly, `immediate` is a crash (recovery on the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /**
   * Crashes it now, synchronously (`immediate`, blocking the event loop until it is down): for a fault
   * hook that runs inside a synchronous call and must take the database away at that very point.
   */
  crashNow(): void;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  running(): boolean;
  /** Stops it (immediate) and removes its data directory. */
  remove(): Promise<void>;
}

/** The directory of initdb and pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function postgresBinDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

const asRoot = userInfo().uid === 0;

/**
 * Whether a private server can be started (initdb and pg_ctl are installed). As for the services
 * (test/support/services.ts): missing on CI is a failure, elsewhere the suite says so and is skipped.
 */
export function requirePostgresServer(): boolean {
  const bin = postgresBinDir();
  const found = bin ? existsSync(join(bin, 'initdb')) : existsOnPath('initdb');
  if (!found && onCi) throw new Error('initdb and pg_ctl are not installed: on CI every service is required');
  if (!found)
    console.warn('[tests] initdb and pg_ctl are not installed: skipping the private PostgreSQL suites');
  return found;
}

function existsOnPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, program)));
}

/** Runs a PostgreSQL program, as `postgres` when we are root. */
async function pgProgram(bin: string | undefined, program: string, args: string[]): Promise<string> {
  const file = bin ? join(bin, program) : program;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  try {
    const { stdout, stderr } = await run(cmd, argv, { maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export async function startPostgresServer(
  options: { fsync?: boolean; port?: number } = {},
): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const dataDir = mkdtempSync(join(tmpdir(), 'echo-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dataDir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = options.port ?? (await freePort());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let up = false;
  const settings = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${dataDir}'`,
    `-c fsync=${options.fsync ? 'on' : 'off'}`,
    '-c synchronous_commit=on',
    '-c full_page_writes=off',
    '-c max_connections=100',
  ].join(' ');

  const accepts = async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const server: PostgresServer = {
    port,
    url,
    dataDir,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    running: () => up,
    async start() {
      await pgProgram(bin, 'pg_ctl', [
        '-D',
        dataDir,
        '-l',
        join(dataDir, 'server.log'),
        '-o',
        settings,
        '-w',
        '-t',
        '60',
        'start',
      ]);
      await eventually(accepts, 30_000, `the private PostgreSQL on port ${port}`);
      up = true;
    },
    async stop(mode = 'fast') {
      if (!up) return;
      await pgProgram(bin, 'pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
      up = false;
    },
    crashNow() {
      if (!up) return;
      const file = bin ? join(bin, 'pg_ctl') : 'pg_ctl';
      const args = [file, '-D', dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop'];
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
      else execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
      up = false;
    },
    async remove() {
      try {
        if (up) await server.stop('immediate');
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };

  try {
    await pgProgram(bin, 'initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    await server.start();
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return server;
}
