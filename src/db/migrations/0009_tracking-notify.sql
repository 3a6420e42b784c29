-- A statement that changes the tracking table notifies channel tracking_changed, unless its session says its
-- writes are seen in process (the service's own pool: src/db/changes.ts). The service keeps serialised one-row
-- answers and drops them when a command connected next to it writes. Sessions that say so send nothing:
-- a notifying transaction holds a database-wide lock through its commit, so the service's concurrent writes
-- would commit one at a time.
CREATE FUNCTION "tracking_changed_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('patch_tracking.writes_seen', true) IS DISTINCT FROM 'on' THEN
    PERFORM pg_notify('tracking_changed', '');
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "tracking_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "tracking"
  FOR EACH STATEMENT EXECUTE FUNCTION "tracking_changed_notify"();
