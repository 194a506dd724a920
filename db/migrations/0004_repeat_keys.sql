ALTER TABLE "cases" ADD COLUMN "repeat_phone_key" text;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "repeat_name_key" text;--> statement-breakpoint
-- Backfill: the keys of every case written before this migration, by the same expressions the opening
-- writes them with (db/repeat-keys.ts) and the repeat rule's old scan normalised with.
UPDATE "cases" SET
  "repeat_phone_key" = encode(sha256(convert_to(nullif(regexp_replace("resident"->>'phone', '\D', '', 'g'), ''), 'UTF8')), 'hex'),
  "repeat_name_key" = encode(sha256(convert_to(regexp_replace(lower(btrim("resident"->>'name')), '\s+', ' ', 'g'), 'UTF8')), 'hex');--> statement-breakpoint
CREATE INDEX "cases_open_phone_key_idx" ON "cases" USING btree ("station_id","service_code","repeat_phone_key") WHERE "cases"."stage" <> 'closed';--> statement-breakpoint
CREATE INDEX "cases_open_name_key_idx" ON "cases" USING btree ("station_id","service_code","repeat_name_key") WHERE "cases"."stage" <> 'closed';