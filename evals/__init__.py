"""Evals: recorded conversations replayed against the chat graph and scored turn by turn.

`python -m evals` runs them (see `evals/__main__.py`); the file format is described in
DESIGN.md, "Recorded conversations", and loaded by `evals.cases`.
"""
