ALTER TABLE "web_session" ADD COLUMN "admin_stamp" text;--> statement-breakpoint
-- sessions resting on neither a token nor a user are the settings' admin's, from before they carried its
-- stamp: they end now, once, rather than outlive a change of PASSWORD
DELETE FROM "web_session" WHERE "token_id" IS NULL AND "user_id" IS NULL;
