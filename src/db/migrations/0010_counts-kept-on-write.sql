CREATE TABLE "patch_state_count" (
	"project_id" integer NOT NULL,
	"state" text NOT NULL,
	"archived" boolean NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tracking_status_count" (
	"status" text NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "patch_state_count_key_idx" ON "patch_state_count" USING btree ("project_id","state","archived");--> statement-breakpoint
-- Each statement that writes tracking or patch appends the counts it changed, one signed row per key (see
-- src/db/schema/counts.ts). An update that leaves the keys as they were appends nothing. A trigger with
-- transition tables takes one event, hence one trigger per event over a shared function.
CREATE FUNCTION "tracking_status_count_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "tracking_status_count" ("status", "n") SELECT "status", count(*) FROM "new_rows" GROUP BY "status";
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "tracking_status_count" ("status", "n") SELECT "status", -count(*) FROM "old_rows" GROUP BY "status";
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO "tracking_status_count" ("status", "n")
      SELECT "status", sum("d") FROM (SELECT "status", 1 AS "d" FROM "new_rows" UNION ALL SELECT "status", -1 FROM "old_rows") "rows"
      GROUP BY "status" HAVING sum("d") <> 0;
  ELSE
    DELETE FROM "tracking_status_count";
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "tracking_status_count_insert" AFTER INSERT ON "tracking" REFERENCING NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "tracking_status_count_rows"();--> statement-breakpoint
CREATE TRIGGER "tracking_status_count_update" AFTER UPDATE ON "tracking" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "tracking_status_count_rows"();--> statement-breakpoint
CREATE TRIGGER "tracking_status_count_delete" AFTER DELETE ON "tracking" REFERENCING OLD TABLE AS "old_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "tracking_status_count_rows"();--> statement-breakpoint
CREATE TRIGGER "tracking_status_count_truncate" AFTER TRUNCATE ON "tracking"
  FOR EACH STATEMENT EXECUTE FUNCTION "tracking_status_count_rows"();--> statement-breakpoint
CREATE FUNCTION "patch_state_count_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "patch_state_count" ("project_id", "state", "archived", "n")
      SELECT "project_id", "state", "archived", count(*) FROM "new_rows" GROUP BY "project_id", "state", "archived";
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "patch_state_count" ("project_id", "state", "archived", "n")
      SELECT "project_id", "state", "archived", -count(*) FROM "old_rows" GROUP BY "project_id", "state", "archived";
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO "patch_state_count" ("project_id", "state", "archived", "n")
      SELECT "project_id", "state", "archived", sum("d") FROM (
        SELECT "project_id", "state", "archived", 1 AS "d" FROM "new_rows"
        UNION ALL SELECT "project_id", "state", "archived", -1 FROM "old_rows"
      ) "rows"
      GROUP BY "project_id", "state", "archived" HAVING sum("d") <> 0;
  ELSE
    DELETE FROM "patch_state_count";
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "patch_state_count_insert" AFTER INSERT ON "patch" REFERENCING NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "patch_state_count_rows"();--> statement-breakpoint
CREATE TRIGGER "patch_state_count_update" AFTER UPDATE ON "patch" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "patch_state_count_rows"();--> statement-breakpoint
CREATE TRIGGER "patch_state_count_delete" AFTER DELETE ON "patch" REFERENCING OLD TABLE AS "old_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "patch_state_count_rows"();--> statement-breakpoint
CREATE TRIGGER "patch_state_count_truncate" AFTER TRUNCATE ON "patch"
  FOR EACH STATEMENT EXECUTE FUNCTION "patch_state_count_rows"();--> statement-breakpoint
-- Counted afresh from the tables: here for the rows already present, and after a restore (src/db/dump.ts),
-- which may copy the count rows and also fire the triggers.
CREATE FUNCTION "recount_kept_counts"() RETURNS void LANGUAGE sql AS $$
  DELETE FROM "tracking_status_count";
  INSERT INTO "tracking_status_count" ("status", "n") SELECT "status", count(*) FROM "tracking" GROUP BY "status";
  DELETE FROM "patch_state_count";
  INSERT INTO "patch_state_count" ("project_id", "state", "archived", "n")
    SELECT "project_id", "state", "archived", count(*) FROM "patch" GROUP BY "project_id", "state", "archived";
$$;--> statement-breakpoint
SELECT "recount_kept_counts"();
