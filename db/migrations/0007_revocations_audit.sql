CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"actor_role" text NOT NULL,
	"scope" text,
	"action" text NOT NULL,
	"target_kind" text NOT NULL,
	"target_id" text NOT NULL,
	"request_id" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "token_revocations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"credential" text DEFAULT 'token' NOT NULL,
	"credential_id" text,
	"holder" text,
	"issued_before" timestamp with time zone,
	"revoked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_by" text NOT NULL,
	"revoked_by_role" text NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor","id");--> statement-breakpoint
CREATE INDEX "audit_events_target_idx" ON "audit_events" USING btree ("target_kind","target_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action","id");--> statement-breakpoint
CREATE INDEX "token_revocations_credential_idx" ON "token_revocations" USING btree ("credential","credential_id");--> statement-breakpoint
CREATE INDEX "token_revocations_holder_idx" ON "token_revocations" USING btree ("credential","holder","issued_before");--> statement-breakpoint
-- A revocation names one credential, or a holder and the instant before which its credentials are revoked.
ALTER TABLE "token_revocations" ADD CONSTRAINT "token_revocations_what_check"
  CHECK ("credential_id" IS NOT NULL OR ("holder" IS NOT NULL AND "issued_before" IS NOT NULL));--> statement-breakpoint
-- Append-only: the audit and the revocation list are never changed or removed, whoever connects.
CREATE FUNCTION "stationflow_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "stationflow_append_only"();--> statement-breakpoint
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "stationflow_append_only"();--> statement-breakpoint
CREATE TRIGGER "token_revocations_append_only" BEFORE UPDATE OR DELETE ON "token_revocations"
  FOR EACH ROW EXECUTE FUNCTION "stationflow_append_only"();--> statement-breakpoint
CREATE TRIGGER "token_revocations_no_truncate" BEFORE TRUNCATE ON "token_revocations"
  FOR EACH STATEMENT EXECUTE FUNCTION "stationflow_append_only"();
