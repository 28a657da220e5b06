"""What a diagnosis code is: the code, every (check, status) it is reported with, its cause and its
generic fix. A leaf module: the group tables in doctor/knowledge/codes/ declare their codes with
it, and doctor.knowledge.diagnoses collects them, so neither imports the other's user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from doctor.model import Status

OK, WARN, FAIL, SKIP, ERROR = Status.OK, Status.WARN, Status.FAIL, Status.SKIP, Status.ERROR


# Where a code appears: (check id, status there); "*" is any check.
Where = Tuple[str, Status]


@dataclass(frozen=True)
class Diagnosis:
    """A code, every (check, status) it can be reported with, what it means and its fix.

    `check` and `status` are where it is first reported; `also` lists every other place
    (e.g. `rate_limited` warns on api.auth but fails stream.chat: no stream happened).
    `diagnose()` takes the status from here and refuses a pair that is not listed, so the
    README's table, generated from `where`, cannot disagree with what the checks report.
    """

    code: str
    check: str  # the check id that reports it ("*" for codes any check may report)
    status: Status  # its severity there
    cause: str  # what it means, one sentence
    fix: str  # the generic remedy, one or two sentences
    also: Tuple[Where, ...] = ()  # every other (check, status) it is reported with

    @property
    def where(self) -> Tuple[Where, ...]:
        return ((self.check, self.status), *self.also)

    def status_on(self, check_id: str, status: Optional[Status] = None) -> Status:
        """The status this code has on `check_id`: the first listed there, or `status` if it is
        listed there too. ValueError for an unlisted pair: a bug, which the CLI tests catch."""
        listed = [s for check, s in self.where if check in (check_id, "*")]
        if not listed or (status is not None and status not in listed):
            shown = f"{check_id}/{status.value}" if status is not None else check_id
            raise ValueError(f"diagnosis {self.code!r} is not registered for {shown}: add it to `also` "
                             f"in doctor/knowledge/codes/ and run scripts/readme_codes.py --write")
        return status if status is not None else listed[0]
