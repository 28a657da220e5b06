"""Diagnosis codes per check group. Importing this package registers all of them.

Each module calls `doctor.knowledge.diagnoses.register(...)` with its group's codes.
"""

from doctor.knowledge.codes import api, config, network, packages, python, stream  # noqa: F401  # imported to register
