"""The local full stack: PostgreSQL, MLflow, Prefect, the served deployments and the service."""
