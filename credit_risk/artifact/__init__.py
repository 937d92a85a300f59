"""The model artifact: what a registered model is made of and how it is loaded.

The scoring model class (model), its feature spec and input coercion (features), the score
scaling and risk bands (scaling), and the loader (loading), which reads models logged before
these classes moved here. Serving, batch scoring and monitoring load a model with this package
and its libraries alone; no training code is needed.
"""
