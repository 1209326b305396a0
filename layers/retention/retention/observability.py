"""One logger, one metrics namespace and one tracer for every function.

The service name comes from ``POWERTOOLS_SERVICE_NAME``, set per function in
``template.yaml``. The namespace is fixed here so that every metric lands in one place
whatever the environment says.
"""

import hashlib

from aws_lambda_powertools import Logger, Metrics, Tracer

NAMESPACE = "Retention"

logger = Logger()
metrics = Metrics(namespace=NAMESPACE)
tracer = Tracer()


def redact(value: str | None) -> str | None:
    """A short stable hash, so that logs can correlate a person without naming them."""
    if not value:
        return None
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:12]
