CREATE TABLE "whistle_calls" (
	"whistle_id" text NOT NULL,
	"department_id" text NOT NULL,
	"role" text NOT NULL,
	"status" text NOT NULL,
	"state" text NOT NULL,
	"due_at" timestamp with time zone,
	"called_at" timestamp with time zone NOT NULL,
	"check_in_due_at" timestamp with time zone NOT NULL,
	"report_due_at" timestamp with time zone NOT NULL,
	"checked_in_at" timestamp with time zone,
	"check_in_latency_seconds" double precision,
	"missed_check_ins" integer DEFAULT 0 NOT NULL,
	"disputes" integer DEFAULT 0 NOT NULL,
	"dispute_decision" text,
	"report_outcome" text,
	"reported_at" timestamp with time zone,
	"report_on_time" boolean,
	"rating" integer,
	"rating_comment" text,
	"feedback" integer,
	"feedback_comment" text,
	"released_at" timestamp with time zone,
	"replaced_by" text,
	"replaces" text,
	CONSTRAINT "whistle_calls_whistle_id_department_id_pk" PRIMARY KEY("whistle_id","department_id")
);
--> statement-breakpoint
CREATE TABLE "whistle_urgencies" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_zh" text NOT NULL,
	"check_in_goal" double precision NOT NULL,
	"check_in_unit" text NOT NULL,
	"report_goal" double precision NOT NULL,
	"report_unit" text NOT NULL,
	"rating_window_hours" double precision DEFAULT 360 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "whistles" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"case_id" text NOT NULL,
	"station_id" text NOT NULL,
	"subdistrict_id" text NOT NULL,
	"reason" text NOT NULL,
	"urgency" text NOT NULL,
	"summary" text NOT NULL,
	"location" text,
	"service_code" text NOT NULL,
	"initiated_by" text NOT NULL,
	"initiated_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"state" text NOT NULL,
	"lead_department_id" text NOT NULL,
	"awaiting_departments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"next_due_at" timestamp with time zone,
	"overdue" boolean DEFAULT false NOT NULL,
	"outcome" text,
	"outcome_note" text,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	"projection_seq" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "whistles_workflow_id_unique" UNIQUE("workflow_id")
);
--> statement-breakpoint
ALTER TABLE "case_events" ADD COLUMN "whistle_id" text;--> statement-breakpoint
ALTER TABLE "whistle_calls" ADD CONSTRAINT "whistle_calls_whistle_id_whistles_id_fk" FOREIGN KEY ("whistle_id") REFERENCES "public"."whistles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whistle_calls" ADD CONSTRAINT "whistle_calls_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whistles" ADD CONSTRAINT "whistles_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whistles" ADD CONSTRAINT "whistles_station_id_stations_id_fk" FOREIGN KEY ("station_id") REFERENCES "public"."stations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whistles" ADD CONSTRAINT "whistles_subdistrict_id_subdistricts_id_fk" FOREIGN KEY ("subdistrict_id") REFERENCES "public"."subdistricts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "whistle_calls_department_idx" ON "whistle_calls" USING btree ("department_id","state","due_at");--> statement-breakpoint
CREATE INDEX "whistles_subdistrict_state_idx" ON "whistles" USING btree ("subdistrict_id","state","next_due_at");--> statement-breakpoint
CREATE INDEX "whistles_case_idx" ON "whistles" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "case_events_whistle_idx" ON "case_events" USING btree ("whistle_id");