"""POST /webhooks/shopify: Shopify orders, refunds and customers."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from retention.ingest import receive
from retention.observability import logger, metrics, tracer
from retention.vendors.shopify import ShopifyWebhooks

SOURCE = ShopifyWebhooks()


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
    clear_state=True,
)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return receive(event, context, SOURCE)
