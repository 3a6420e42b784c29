ALTER TABLE "mail_archive" ADD COLUMN "format" text;--> statement-breakpoint
ALTER TABLE "mail_archive_epoch" ADD COLUMN "fingerprint" text;