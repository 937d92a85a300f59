-- Databases beside the data one: MLflow's backend store (and so the model registry) and Prefect's.
create database mlflow;
create database prefect;
