ALTER TABLE "publication" ADD COLUMN "kind" text DEFAULT 'range' NOT NULL;--> statement-breakpoint
ALTER TABLE "publication" ADD COLUMN "removal" jsonb;