"""Adapters: DynamoDB (pynamodb), SES, S3, SQS and EventBridge behind the ports the services use."""
