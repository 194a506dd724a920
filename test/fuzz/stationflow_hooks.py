"""Schemathesis hooks for test/fuzz.test.ts (loaded with SCHEMATHESIS_HOOKS=stationflow_hooks).

A list's `cursor` is opaque: only a value the list returned as `nextCursor` is one (api/http/cursor.ts), and
anything else is a 400 naming the cursor. No schema can say "a value this API returned", so a request
generated as valid leaves the cursor out instead of sending a made-up one; requests generated as invalid
still send theirs, and must still be refused.
"""

import schemathesis
from schemathesis import GenerationMode


@schemathesis.hook
def before_call(ctx, case, kwargs):
    meta = case.meta
    positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
    if positive and isinstance(case.query, dict) and "cursor" in case.query:
        del case.query["cursor"]


# An assessment's period: `to` must be after `from` (one rule across two parameters, which a schema cannot
# state; the API answers 400). A request generated as valid gets its ends in order; an empty period (the
# same instant twice) is widened to the day after.
def _instant(text):
    from datetime import datetime, timedelta, timezone

    if len(text) == 10:
        return datetime.fromisoformat(text + "T00:00:00+08:00")
    return datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))


@schemathesis.hook("before_call")
def ordered_period(ctx, case, kwargs):
    meta = case.meta
    positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
    query = case.query if isinstance(case.query, dict) else None
    if not positive or query is None or "from" not in query or "to" not in query:
        return
    try:
        start, end = _instant(str(query["from"])), _instant(str(query["to"]))
    except ValueError:
        return
    if end < start:
        query["from"], query["to"] = query["to"], query["from"]
    elif end == start:
        from datetime import timedelta

        query["to"] = (end + timedelta(days=1)).isoformat()


# A batch names each case once (api/supervision/batches.ts; 400 naming the repeat). `caseIds` says so with
# uniqueItems, but `items` are objects and JSON Schema cannot ask for unique values of one property: a
# request generated as valid keeps the first item of each case.
@schemathesis.hook("before_call")
def batch_items_once(ctx, case, kwargs):
    meta = case.meta
    positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
    body = case.body if isinstance(case.body, dict) else None
    if not positive or body is None or case.path != "/api/supervision/batches" or not isinstance(body.get("items"), list):
        return
    seen = set()
    kept = []
    for item in body["items"]:
        key = item.get("caseId") if isinstance(item, dict) else None
        if key in seen:
            continue
        seen.add(key)
        kept.append(item)
    body["items"] = kept
