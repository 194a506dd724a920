CREATE TABLE "calendar_days" (
	"date" text PRIMARY KEY NOT NULL,
	"year" integer NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calendar_years" (
	"year" integer PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"imported_by" text NOT NULL,
	"imported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"case_id" text NOT NULL,
	"recipient_kind" text NOT NULL,
	"recipient_id" text NOT NULL,
	"kind" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "notifications_key_unique" UNIQUE("key")
);
--> statement-breakpoint
ALTER TABLE "deadline_classes" ALTER COLUMN "response_goal" SET DATA TYPE double precision;--> statement-breakpoint
ALTER TABLE "deadline_classes" ALTER COLUMN "resolution_goal" SET DATA TYPE double precision;--> statement-breakpoint
ALTER TABLE "case_events" ADD COLUMN "seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "overdue" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "next_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "provisional" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "paused" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "resolution" text;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "related_case_id" text;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "projection_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_classes" ADD COLUMN "call_back_after_hours" double precision DEFAULT 72 NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_classes" ADD COLUMN "reopen_window_hours" double precision DEFAULT 360 NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "calendar_days_year_idx" ON "calendar_days" USING btree ("year");--> statement-breakpoint
CREATE INDEX "notifications_recipient_idx" ON "notifications" USING btree ("recipient_kind","recipient_id","created_at");--> statement-breakpoint
CREATE INDEX "cases_overdue_idx" ON "cases" USING btree ("overdue");--> statement-breakpoint
CREATE INDEX "cases_station_service_idx" ON "cases" USING btree ("station_id","service_code");