CREATE TABLE "patch_landing" (
	"patch_id" integer PRIMARY KEY NOT NULL,
	"project_id" integer NOT NULL,
	"sha" text NOT NULL,
	"method" text NOT NULL,
	"evidence" text NOT NULL,
	"date" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "upstream_commit" (
	"project_id" integer NOT NULL,
	"sha" text NOT NULL,
	"patch_id" text,
	"author_name" text NOT NULL,
	"author_email" text NOT NULL,
	"subject" text NOT NULL,
	"subject_key" text NOT NULL,
	"author_date" timestamp with time zone NOT NULL,
	"committer_date" timestamp with time zone NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "upstream_commit_project_id_sha_pk" PRIMARY KEY("project_id","sha")
);
--> statement-breakpoint
CREATE TABLE "upstream_head" (
	"project_id" integer NOT NULL,
	"branch" text NOT NULL,
	"sha" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "upstream_head_project_id_branch_pk" PRIMARY KEY("project_id","branch")
);
--> statement-breakpoint
ALTER TABLE "patch" ADD COLUMN "git_patch_id" text;--> statement-breakpoint
ALTER TABLE "project" ADD COLUMN "scm_branches" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "project" ADD COLUMN "landed_state" text DEFAULT 'accepted' NOT NULL;--> statement-breakpoint
ALTER TABLE "patch_landing" ADD CONSTRAINT "patch_landing_patch_id_patch_id_fk" FOREIGN KEY ("patch_id") REFERENCES "public"."patch"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "patch_landing" ADD CONSTRAINT "patch_landing_project_id_project_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."project"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "upstream_commit" ADD CONSTRAINT "upstream_commit_project_id_project_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."project"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "upstream_head" ADD CONSTRAINT "upstream_head_project_id_project_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."project"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "patch_landing_commit_idx" ON "patch_landing" USING btree ("project_id","sha");--> statement-breakpoint
CREATE INDEX "upstream_commit_patch_id_idx" ON "upstream_commit" USING btree ("project_id","patch_id");--> statement-breakpoint
CREATE INDEX "upstream_commit_author_idx" ON "upstream_commit" USING btree ("project_id","author_email","subject_key");--> statement-breakpoint
CREATE INDEX "patch_git_patch_id_idx" ON "patch" USING btree ("git_patch_id");