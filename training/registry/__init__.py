"""The model registry stage: versions and aliases, the gate, promotion, the promotion log and
champion changes made by hand.

versions         register challengers, find and tag versions, keep `previous-champion` in step
version_metrics  a version's metrics as recorded, and re-scored on a test set
gate             the pure champion/challenger decision on metrics from one test set
promotion        gated promotion: score both on one test set, let the gate decide, record it
manual           promote a chosen version past the gate, or roll back
promotion_log    governance.promotion_log and the promotion lock
reference_stats  the champion's reference statistics, kept as version tags

The names (model, aliases) and the champion lookup are in the ground package
(credit_risk.model_registry), so serving and monitoring find the champion without this stage.
"""
