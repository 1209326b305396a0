"""Storage and queues behind small interfaces, so the recording rules never see boto3."""
