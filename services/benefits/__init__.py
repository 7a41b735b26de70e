"""Benefits service (待遇): the one-time and monthly benefits beyond medical costs (issue 19).

Reads:   benefits-commands (the facts of contracts.benefits.FACTS, FileBenefitClaim,
         SubmitBenefitClaimDocuments, ReviewBenefitClaim, PayBenefitClaim,
         RunMonthlyPayments; one partition), reference-data (benefit levels, city average
         wages, minimum wages, the national urban income; read to its end before a batch).
Writes:  benefits-events (the facts as recorded, claim events, MonthlyBenefitPaid /
         MonthlyBenefitReversed, PaymentRunCompleted), benefits-replies, benefits-deadletters.
State:   the book (domain/book.py), in memory, rebuilt from benefits-events at start.
Tables:  PostgreSQL schema `benefits`: facts, injuries, benefit_claims, payments,
         reversals, runs, audit_trail.
"""
