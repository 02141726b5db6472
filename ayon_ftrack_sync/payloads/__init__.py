"""Pydantic models that travel through Temporal (workflow inputs, activity results, queries).

Workflows and activities both import these, so they live apart from either; keep every model
small: Temporal history is not a data store.
"""
