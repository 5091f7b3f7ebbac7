"""Pure clinical domain: formulas, kinetics, rules and scores.

Only the standard library and NumPy are used here; the clock, ids and centre settings are
passed in as arguments. Nothing in this package imports any other part of plexms.
"""
