CREATE TABLE "api_token" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "api_token_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"digest" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "engine_lease" (
	"name" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "publication" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "publication_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"tracking_id" integer NOT NULL,
	"range_from" text NOT NULL,
	"range_to" text NOT NULL,
	"step" text DEFAULT 'planned' NOT NULL,
	"target_repo" text NOT NULL,
	"target_branch" text NOT NULL,
	"temp_branch" text NOT NULL,
	"stamp" text NOT NULL,
	"commits" jsonb NOT NULL,
	"commit_sha" text,
	"issue_id" text,
	"issue_url" text,
	"pr_number" text,
	"pr_url" text,
	"patch_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"base_branch" text NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issue" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "issue_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"issue" text NOT NULL,
	"repo" text NOT NULL,
	"branch" text NOT NULL,
	"tracking_id" integer,
	"forge" text DEFAULT 'gitee' NOT NULL,
	"issue_url" text,
	"pr_number" text,
	"pr_url" text,
	"state" text DEFAULT 'open' NOT NULL,
	"range_from" text,
	"range_to" text,
	"temp_branch" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"merged_at" timestamp with time zone,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tracking" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tracking_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"version_control" text NOT NULL,
	"scm_repo" text NOT NULL,
	"scm_branch" text NOT NULL,
	"scm_commit" text,
	"repo" text NOT NULL,
	"branch" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'idle' NOT NULL,
	"last_checked_at" timestamp with time zone,
	"last_head" text,
	"last_error" text,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"queued_at" timestamp with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "publication" ADD CONSTRAINT "publication_tracking_id_tracking_id_fk" FOREIGN KEY ("tracking_id") REFERENCES "public"."tracking"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issue" ADD CONSTRAINT "issue_tracking_id_tracking_id_fk" FOREIGN KEY ("tracking_id") REFERENCES "public"."tracking"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_token_digest_key" ON "api_token" USING btree ("digest");--> statement-breakpoint
CREATE UNIQUE INDEX "publication_range_key" ON "publication" USING btree ("tracking_id","range_from","range_to");--> statement-breakpoint
CREATE INDEX "publication_step_idx" ON "publication" USING btree ("step");--> statement-breakpoint
CREATE UNIQUE INDEX "issue_repo_issue_key" ON "issue" USING btree ("repo","issue");--> statement-breakpoint
CREATE INDEX "issue_repo_branch_idx" ON "issue" USING btree ("repo","branch");--> statement-breakpoint
CREATE UNIQUE INDEX "tracking_repo_branch_key" ON "tracking" USING btree ("repo","branch");--> statement-breakpoint
CREATE INDEX "tracking_queue_idx" ON "tracking" USING btree ("queued_at") WHERE "tracking"."queued_at" is not null;--> statement-breakpoint
CREATE INDEX "tracking_enabled_idx" ON "tracking" USING btree ("enabled") WHERE "tracking"."enabled";