"""The retention engine's shared package: domain rules, vendor adapters, data access and channels.

The layout follows the roles of the system:

- ``domain``: pure rules (profiles, lifecycle stages, triggers); no AWS, no HTTP.
- ``vendors``: one module per inbound source, holding all of that vendor's quirks.
- ``data``: DynamoDB and SQS behind small interfaces.
- ``channels``: outbound calls to the CRM and the email platform, or the outbox.
- ``local``: the Docker-free local stack; never imported by a deployed function.
"""
