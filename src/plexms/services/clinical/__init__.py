"""The clinical record: patients, referrals, courses, sessions, outcomes, corrections, pages."""

__all__: list[str] = []  # the modules are imported by name
