ALTER TABLE "cases" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "cases_retention_idx" ON "cases" USING btree ("closed_at","id") WHERE "cases"."erased_at" is null and "cases"."stage" = 'closed';--> statement-breakpoint
-- Cases closed before this migration: closed when the timeline last entered the closed stage (else their last update).
UPDATE "cases" c SET "closed_at" = coalesce(
  (SELECT max(e."at") FROM "case_events" e
    WHERE e."case_id" = c."id" AND e."whistle_id" IS NULL
      AND ((e."type" = 'stage.entered' AND e."data"->>'stage' = 'closed') OR e."type" IN ('case.closed', 'case.withdrawn'))),
  c."updated_at")
WHERE c."stage" = 'closed' AND c."closed_at" IS NULL;
