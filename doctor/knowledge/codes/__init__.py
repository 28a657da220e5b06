"""Diagnosis codes per check group: each module declares its group's codes as `DIAGNOSES`, a
tuple of doctor.knowledge.diagnosis.Diagnosis; doctor.knowledge.diagnoses collects them.
"""

from typing import Tuple

from doctor.knowledge.codes import api, config, network, packages, python, stream, stream_integrity
from doctor.knowledge.diagnosis import Diagnosis

# with_responses: stream.responses judges with stream.chat's rules, so it shares their codes' places.
GROUP_TABLES: Tuple[Tuple[Diagnosis, ...], ...] = tuple(stream.with_responses(table) for table in (
    python.DIAGNOSES, packages.DIAGNOSES, config.DIAGNOSES, network.DIAGNOSES, api.DIAGNOSES, stream.DIAGNOSES,
    stream_integrity.DIAGNOSES,
))
