ALTER TABLE "app_user" ADD COLUMN "active" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "app_user" ADD COLUMN "stamp" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "web_session" ADD COLUMN "token_id" integer;--> statement-breakpoint
ALTER TABLE "web_session" ADD COLUMN "user_id" integer;--> statement-breakpoint
ALTER TABLE "web_session" ADD COLUMN "user_stamp" integer;--> statement-breakpoint
ALTER TABLE "web_session" ADD CONSTRAINT "web_session_token_id_api_token_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."api_token"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "web_session" ADD CONSTRAINT "web_session_user_id_app_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."app_user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- sessions from before this version do not name the token or user they rest on, so they could outlive a revocation: everyone logs in again once
DELETE FROM "web_session";