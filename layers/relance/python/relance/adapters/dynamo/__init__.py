"""DynamoDB through pynamodb: records, their binding to the stack's tables, and repositories."""
