"""``make benchmark``: figures to read, never a pass or a fail.

    python -m retention.local.benchmark [--runs 5] [--orders 300] [--customers 50]
                                        [--duplicates 60] [--profiles 2000]

Run from the repository root. Four sections, a module each:

1. ``cold_start``: each handler module of ``template.yaml`` imported in a fresh
   interpreter, as Lambda's first invocation imports it, and the packages whose
   own code costs the most.
2. ``latency``: the Shopify webhook function invoked in this process, through
   the local stack's invoker, against moto_server. Every AWS call is timed and
   counted (``calls``), so our own processing is the handler's time less the
   time inside AWS calls: moto's speed says nothing of DynamoDB's.
3. ``cost``: DynamoDB request units (``units``), SQS requests and Lambda time
   per webhook, per dispatched trigger and per 1,000 orders, at the on-demand
   prices that the report prints (``prices``).
4. ``scan``: the lifecycle scan over many profiles of which a few are due, and
   what it reads.
"""
