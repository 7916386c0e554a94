"""Analysis: pure functions from DataFrames to DataFrames.

Each function takes the canonical ``messages`` table and the derived
``members`` table (see ``qunkit.members``) and returns a DataFrame; none of
them reads the store or prints, so a notebook can call them directly.
"""
