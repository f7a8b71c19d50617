"""Schemathesis hooks for scripts/contract-fuzz.

Every command needs an Idempotency-Key, new for each new request (a key sent again with another
request is refused `idempotency-key-reused`, as the API documents): a generated case that carries
the header gets a fresh one. A case without it is left so, to check that it is refused.
"""

import uuid

import schemathesis


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
