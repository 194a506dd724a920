CREATE TABLE "workflow_problems" (
	"workflow_id" text NOT NULL,
	"activity_id" text NOT NULL,
	"activity_type" text NOT NULL,
	"local" boolean DEFAULT false NOT NULL,
	"attempt" integer NOT NULL,
	"last_failure" text NOT NULL,
	"first_failed_at" timestamp with time zone NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "workflow_problems_workflow_id_activity_id_pk" PRIMARY KEY("workflow_id","activity_id")
);
--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "last_progress_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "paused_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "call_back_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "overdue_commitments" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "deadline_classes" ADD COLUMN "idle_after_hours" double precision;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "acknowledged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "acknowledged_by" text;--> statement-breakpoint
CREATE INDEX "workflow_problems_failed_idx" ON "workflow_problems" USING btree ("first_failed_at");--> statement-breakpoint
CREATE INDEX "cases_stuck_overdue_idx" ON "cases" USING btree ("next_due_at") WHERE "cases"."overdue";--> statement-breakpoint
CREATE INDEX "cases_stuck_idle_idx" ON "cases" USING btree ("last_progress_at") WHERE "cases"."resolution" is null and "cases"."stage" <> 'closed';--> statement-breakpoint
CREATE INDEX "cases_stuck_paused_idx" ON "cases" USING btree ("paused_since") WHERE "cases"."paused";--> statement-breakpoint
CREATE INDEX "cases_stuck_call_back_idx" ON "cases" USING btree ("call_back_due_at") WHERE "cases"."call_back_due_at" is not null;--> statement-breakpoint
CREATE INDEX "notifications_unreachable_idx" ON "notifications" USING btree ("case_id") WHERE "notifications"."delivery_status" = 'unreachable';--> statement-breakpoint
CREATE INDEX "whistle_calls_stuck_idx" ON "whistle_calls" USING btree ("due_at") WHERE "whistle_calls"."state" <> 'done';--> statement-breakpoint
-- Backfill for cases written before this migration; every later event's projection keeps them current.
UPDATE "cases" SET "owner" = "opened_by" WHERE "owner" IS NULL;--> statement-breakpoint
UPDATE "cases" c SET "last_progress_at" = coalesce(
  (SELECT max(e."at") FROM "case_events" e WHERE e."case_id" = c."id" AND e."actor_role" <> 'system'), c."opened_at");--> statement-breakpoint
UPDATE "cases" c SET "paused_since" = (SELECT max(e."at") FROM "case_events" e WHERE e."case_id" = c."id" AND e."type" = 'case.paused')
  WHERE c."paused";--> statement-breakpoint
UPDATE "cases" c SET "call_back_due_at" = closed."at" + make_interval(secs => dc."call_back_after_hours" * 3600)
  FROM "deadline_classes" dc,
    (SELECT e."case_id", max(e."at") AS "at" FROM "case_events" e WHERE e."type" = 'case.closed' GROUP BY e."case_id") closed
  WHERE dc."code" = c."deadline_class" AND closed."case_id" = c."id" AND c."resolution" IS NOT NULL AND c."stage" <> 'closed'
    AND NOT EXISTS (SELECT 1 FROM "case_events" e WHERE e."case_id" = c."id" AND e."type" = 'case.evaluated' AND e."at" >= closed."at");--> statement-breakpoint
-- The demo's deadline classes (db/seed.ts) get their idle thresholds; other classes use STUCK_IDLE_AFTER.
UPDATE "deadline_classes" SET "idle_after_hours" = CASE "code" WHEN 'emergency' THEN 1 WHEN 'utilities' THEN 4 WHEN 'general' THEN 48 WHEN 'complex' THEN 120 END
  WHERE "idle_after_hours" IS NULL AND "code" IN ('emergency', 'utilities', 'general', 'complex');
