import type { TestDb } from './db.js';

/**
 * Fault injection inside the database, not in pgmend: every DDL statement (event trigger), every
 * INSERT / UPDATE / DELETE on the shop's tables and on pgmend's backup tables (statement triggers,
 * attached to a backup table as it is created) counts as one "point"; the point whose number is in
 * fault.config raises an error (only points whose description is LIKE its pattern count). The
 * counter is a sequence, so it keeps counting across rollbacks.
 * With k = 0 nothing fails and `fault.hits` tells how many points a run has.
 */
export const FAULTS_SQL = String.raw`
CREATE SCHEMA fault;
CREATE TABLE fault.config (k int NOT NULL, pattern text NOT NULL);
INSERT INTO fault.config VALUES (0, '%');
CREATE SEQUENCE fault.hits;

CREATE FUNCTION fault.hit(what text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  IF what LIKE (SELECT pattern FROM fault.config) THEN
    n := nextval('fault.hits');
    IF n = (SELECT k FROM fault.config) THEN
      RAISE EXCEPTION 'fault injected at point %: %', n, what;
    END IF;
  END IF;
END $$;

CREATE FUNCTION fault.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM fault.hit(tg_tag); END $$;
CREATE EVENT TRIGGER fault_ddl ON ddl_command_start EXECUTE FUNCTION fault.on_ddl();

CREATE FUNCTION fault.on_dml() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM fault.hit(TG_OP || ' ' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME); RETURN NULL; END $$;

CREATE FUNCTION fault.on_create() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' AND schema_name = 'pgmend' AND object_identity LIKE 'pgmend.bk\_%' LOOP
    EXECUTE format('CREATE TRIGGER fault_dml BEFORE INSERT ON %s FOR EACH STATEMENT EXECUTE FUNCTION fault.on_dml()', r.object_identity);
  END LOOP;
END $$;
CREATE EVENT TRIGGER fault_backup ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION fault.on_create();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['orders', 'invoices', 'members', 'prices', 'tickets', 'profiles', 'events', 'posts', 'comments', 'shipments'] LOOP
    EXECUTE format('CREATE TRIGGER fault_dml BEFORE INSERT OR UPDATE OR DELETE ON %I FOR EACH STATEMENT EXECUTE FUNCTION fault.on_dml()', t);
  END LOOP;
END $$;
`;

/** Arms point k (0 disarms) among the points LIKE pattern, and restarts the count. */
export async function armFault(db: Pick<TestDb, 'query'>, k: number, pattern = '%'): Promise<void> {
  await db.query(`UPDATE fault.config SET k = $1, pattern = $2`, [k, pattern]);
  await db.query(`SELECT setval('fault.hits', 1, false)`);
}

/** Points counted since the last armFault. */
export async function faultPoints(db: Pick<TestDb, 'query'>): Promise<number> {
  const { rows } = await db.query(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM fault.hits`);
  return Number(rows[0]!.n);
}
