"""The ftrack query language: a parser to an AST and an evaluator over the store."""

from .parser import Query, parse_query

__all__ = ["Query", "parse_query"]
