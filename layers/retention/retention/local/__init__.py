"""The Docker-free local stack, driven by ``template.yaml``.

Every table, queue, secret, parameter, route, queue consumer and schedule comes from the
template, so the local stack cannot drift from what is deployed:

- ``template``: reads the template (``intrinsics`` resolves its short tags);
- ``stack``: moto_server in-process, with every resource of the template created in it;
- ``invoker``: runs a function's handler with its environment and a Lambda context;
- ``apigateway`` and ``server``: the HTTP API, plus admin endpoints under ``/_local/``;
- ``queues`` and ``schedules``: queue consumers and schedules, as they run when deployed;
- ``virtual_clock``: the clock that ``advance`` moves, so 60 days pass in seconds;
- ``runtime``: all of the above started and stopped together; ``cli``: ``retention-local``.

Never imported by a deployed function.
"""
