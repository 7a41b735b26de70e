"""Pure decisions of the encounter service: no I/O, no wall clock.

`reference_book` (reference data in force on a day), `admission` (SD-ENC-1/2/3/4/7, SD-REG-7/8,
SD-PILOT), `charges` (SD-ENC-5/6 line checks), `encounter` (the aggregate: decide / evolve).
"""
