"""Pure clinical domain: formulas, kinetics, rules and scores.

Only the standard library and NumPy are used here; the clock, ids and centre settings are
passed in as arguments. Nothing in this package imports any other part of plexms.
"""

__all__: list[str] = []  # the subpackages and modules are imported by name
