"""One logger, one metrics namespace and one tracer for every function.

The service name and metrics namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE``, set per function in ``template.yaml``.
"""

import hashlib

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()


def redact(value: str | None) -> str | None:
    """A short stable hash, so that logs can correlate a person without naming them."""
    if not value:
        return None
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:12]
