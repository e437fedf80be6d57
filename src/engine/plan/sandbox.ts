import type pg from 'pg';
import { quoteIdent } from '../../db/quote.js';

/**
 * A sandbox for rehearsing opaque code (DO blocks, functions a finding defines and then runs):
 * statements run through a SECURITY DEFINER function owned by a role that cannot reach outside the
 * database, so PostgreSQL itself refuses programs, server files and signals. Inside a security-
 * definer function PostgreSQL also refuses SET ROLE / RESET ROLE / SET SESSION AUTHORIZATION, so
 * the code cannot climb back to the (often superuser) session's own role.
 *
 * The role is the owner of the tables the finding touches (it may change them), provided it is
 * not a superuser, is not a member of pg_execute_server_program, pg_read_server_files,
 * pg_write_server_files or pg_signal_backend, no other session runs as a role it may signal (a
 * role can end its own sessions), and no extension that reaches other servers is installed.
 */

export type SandboxChoice = { role: string } | { why: string };

const POWERFUL_ROLES = ['pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files', 'pg_signal_backend'];
const REMOTE_EXTENSIONS = ['dblink', 'postgres_fdw'];

/** `tableOids` from the catalog; `relationNames` as the statements write them (quoted where needed). */
export async function chooseSandboxRole(client: pg.Client, catalogOids: number[], relationNames: string[]): Promise<SandboxChoice> {
  const { rows: named } = await client.query<{ oid: number }>(
    `SELECT c.oid FROM unnest($1::text[]) n JOIN pg_class c ON c.oid = to_regclass(n) WHERE c.relkind IN ('r', 'p')`,
    [relationNames],
  );
  const tableOids = [...new Set([...catalogOids, ...named.map((r) => r.oid)])];
  if (tableOids.length === 0) return { why: 'it names no existing table whose owner could rehearse it' };
  const { rows: owners } = await client.query<{ role: string; superuser: boolean; powerful: string[] }>(
    `SELECT DISTINCT r.rolname AS role, r.rolsuper AS superuser,
            ARRAY(SELECT p FROM unnest($2::text[]) p WHERE pg_has_role(r.oid, p, 'MEMBER')) AS powerful
       FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = ANY($1::oid[])`,
    [tableOids, POWERFUL_ROLES],
  );
  if (owners.length !== 1) return { why: 'its tables have different owners' };
  const owner = owners[0]!;
  if (owner.superuser) return { why: `the owner of its tables, ${owner.role}, is a superuser` };
  const { rows: can } = await client.query<{ ok: boolean }>(`SELECT pg_has_role(current_user, $1, 'MEMBER') AS ok`, [owner.role]);
  if (!can[0]?.ok) return { why: `this session cannot act as ${owner.role}, the owner of its tables` };
  if (owner.powerful.length > 0) return { why: `the owner of its tables, ${owner.role}, is a member of ${owner.powerful.join(', ')}` };
  const { rows: others } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity a
      WHERE a.pid <> pg_backend_pid() AND a.usesysid IS NOT NULL AND pg_has_role($1, a.usesysid, 'USAGE')`,
    [owner.role],
  );
  if (others[0]!.n > 0) return { why: `${owner.role}, the owner of its tables, could end or cancel ${others[0]!.n} other session(s) running as it` };
  const { rows: remote } = await client.query<{ extname: string }>('SELECT extname FROM pg_extension WHERE extname = ANY($1::text[])', [REMOTE_EXTENSIONS]);
  if (remote.length > 0) return { why: `extension ${remote.map((r) => r.extname).join(', ')} could reach another server` };
  return { role: owner.role };
}

/** Creates the sandbox function (in pg_temp, inside the rehearsal's savepoint: rolled back with it). */
export async function installSandbox(client: pg.Client, role: string): Promise<void> {
  await client.query(
    `CREATE FUNCTION pg_temp.pgmend_sandbox(statement text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER AS $pgmend$
       DECLARE n bigint; BEGIN EXECUTE statement; GET DIAGNOSTICS n = ROW_COUNT; RETURN n; END $pgmend$`,
  );
  await client.query(`ALTER FUNCTION pg_temp.pgmend_sandbox(text) OWNER TO ${quoteIdent(role)}`);
}

/** Runs one statement as the sandbox role; the rows it touched. */
export async function runSandboxed(client: pg.Client, sql: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>('SELECT pg_temp.pgmend_sandbox($1) AS n', [sql]);
  return Number(rows[0]?.n ?? 0);
}
