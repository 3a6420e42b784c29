CREATE TABLE "web_session" (
	"digest" text PRIMARY KEY NOT NULL,
	"principal" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "web_session_expires_at_idx" ON "web_session" USING btree ("expires_at");