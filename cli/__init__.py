"""The `credit-risk` command line."""
