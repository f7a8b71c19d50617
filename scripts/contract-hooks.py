"""Schemathesis hooks for scripts/contract-fuzz.

Every command needs an Idempotency-Key, new for each new request (a key sent again with another
request is refused `idempotency-key-reused`, as the API documents): a generated case that carries
the header gets a fresh one. A case without it is left so, to check that it is refused.

scripts/contract-fuzz.toml lets the operations whose bodies hold a rule JSON Schema cannot state
answer 422 (or 400) to data the document calls valid; the check below holds them to the problem
codes of those rules, so that any other refusal of valid data still fails.
"""

import uuid

import schemathesis

# The rules across two fields, or against the clock, by operation: the only refusals of data
# the document calls valid.
RULES = {
    "POST /editions": {"last-day-before-first-day", "edition-too-long"},
    "POST /editions/{edition}/dates": {"last-day-before-first-day", "edition-too-long"},
    "POST /events": {"restriction-outside-audiences", "discovery-tools-outside-stand"},
    "POST /events/{event}/amend": {"restriction-outside-audiences", "discovery-tools-outside-stand"},
    "POST /events/{event}/sessions": {"ends-before-it-starts", "nonexistent-local-time"},
    "POST /events/{event}/sessions/{session}/reschedule": {
        "ends-before-it-starts",
        "nonexistent-local-time",
    },
    "POST /venues": {"duplicate-room", "opening-span-inverted", "closed-period-inverted"},
    "POST /venues/{venue}/opening-hours": {"opening-span-inverted"},
    "POST /venues/{venue}/closed-periods": {"closed-period-inverted"},
    "POST /jobdating/{session}/setup": {
        "ends-before-it-starts",
        "break-outside-session",
        "wishes-after-start",
        "no-slot",
        "too-many-slots",
    },
    "POST /jobdating/{session}/employers": {"job-offered-twice"},
    "POST /sessions/{session}/reservations": {"deadline-passed"},
    "GET /catalogue/sessions": {"invalid-date-range"},
}


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())


@schemathesis.check
def only_named_rules_refuse_valid_data(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    label = f"{case.method.upper()} {case.operation.path}"
    rules = RULES.get(label)
    if rules is None:
        return None  # positive_data_acceptance fails it already
    try:
        code = response.json().get("code")
    except ValueError:
        code = None
    if code not in rules:
        raise AssertionError(
            f"{label} refused data the document calls valid with {response.status_code} "
            f"`{code}`, which is not one of its rules across fields: {sorted(rules)}"
        )
    return None
