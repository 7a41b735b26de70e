"""Pure registration domain: state, `decide`, `evolve`, coverage. No I/O, no clock."""

from services.registration.domain.coverage import coverage_of, spans_of, windows_of
from services.registration.domain.decide import decide
from services.registration.domain.state import Registration, Status, WorkerState, evolve

__all__ = ["Registration", "Status", "WorkerState", "coverage_of", "decide", "evolve",
           "spans_of", "windows_of"]
