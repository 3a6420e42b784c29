CREATE TABLE "upstreamed_look" (
	"tracking_id" integer PRIMARY KEY NOT NULL,
	"looked_at" timestamp with time zone NOT NULL,
	"analysed_mark" text
);
--> statement-breakpoint
ALTER TABLE "upstreamed_look" ADD CONSTRAINT "upstreamed_look_tracking_id_tracking_id_fk" FOREIGN KEY ("tracking_id") REFERENCES "public"."tracking"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "upstreamed_look_looked_at_idx" ON "upstreamed_look" USING btree ("looked_at");