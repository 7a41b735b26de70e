"""Benefits beyond medical costs (issue 19): the facts they are computed from, and the levels.

Facts (events, each with its business date) are what the insured place's agency records about
a worker with a recognised injury: contribution wages per month (XM-27), labour-capacity
assessments (XM-23(4)), recurrence, death, missing at work and the court's declaration of
death (XM-25), imprisonment and release (XM-23(5)), retirement approval (XM-24), and the
dependants (XM-23(1)–(3)). Levels (reference data, effective-dated, each group naming its
article) are the amounts of the national Work-Injury Insurance Regulations 2010 (NR-34…NR-41,
NR-64); a province publishes its own the same way and the later `effective_from` wins.

A fact that carries two dates refuses an impossible order here (an assessment before the
injury it assesses, a release before the imprisonment); the other "before the injury" checks
need the worker's recorded injury and are made by the fold (services/benefits/domain/facts.py).
Claims for one-time benefits (XM-10, XM-13…15, XM-17, XM-21) and the monthly payment run's
payments and reversals (XM-21(3)) follow the levels, each money event with its balanced
entries. Not yet on any topic: the benefits service that will write them is not wired
(architecture.md "Benefits (issue 19): the pure core").
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.clearing import Entry
from contracts.message import Command, Event, ReferenceData
from contracts.settlement import PaymentChannel
from contracts.types import Code, NonNegativeFen, RegionCode, ResidentId, Text

Grade = Annotated[int, Field(strict=True, ge=1, le=10)]
"""Disability grade (伤残等级) 1 (most severe) … 10."""

Percent = Annotated[int, Field(strict=True, ge=0, le=1000)]
"""A whole percent of a base (the wage-base ceiling is 300: up to 1000 allowed)."""


class CareLevel(StrEnum):
    """Living-care level (生活护理等级, NR-34): how far the worker cannot care for himself."""

    NONE = "none"
    FULL = "full"  # 生活完全不能自理
    MOST = "most"  # 生活大部分不能自理
    PARTIAL = "partial"  # 生活部分不能自理


class Relation(StrEnum):
    """A dependant's relation to the worker (供养亲属, NR-39)."""

    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"


class _Fact(Event):
    worker_id: ResidentId
    injury_id: Code


# --- Facts about the worker -------------------------------------------------------------------


class ContributionWageRecorded(_Fact):
    """XM-27: the contribution wage (缴费工资) actually paid on for one month in the insured
    place; the wage base averages the last 12 of them up to the injury month."""

    insured_region: RegionCode
    year: int = Field(strict=True, ge=1990, le=2100)
    month: int = Field(strict=True, ge=1, le=12)
    wage_fen: NonNegativeFen
    recorded_on: date


class InjuryRecognised(_Fact):
    """The work injury (工伤认定) every benefit of `injury_id` is computed from (XM-9)."""

    insured_region: RegionCode
    injured_on: date
    recognised_on: date
    occupational_disease: bool = False

    @model_validator(mode="after")
    def _recognised_after_injury(self) -> InjuryRecognised:
        if self.recognised_on < self.injured_on:
            raise ValueError(f"recognised_on {self.recognised_on} is before the injury "
                             f"{self.injured_on}")
        return self


class RecurrenceConfirmed(_Fact):
    """工伤复发确认: the injury recurred; a re-assessment usually follows (XM-23(4))."""

    injured_on: date
    confirmed_on: date

    @model_validator(mode="after")
    def _not_before_injury(self) -> RecurrenceConfirmed:
        if self.confirmed_on < self.injured_on:
            raise ValueError(f"confirmed_on {self.confirmed_on} is before the injury "
                             f"{self.injured_on}")
        return self


class LabourCapacityAssessed(_Fact):
    """劳动能力鉴定结论: a disability grade 1–10 and a care level; a re-assessment (复查鉴定)
    applies from the month after its conclusion (XM-23(4))."""

    assessment_id: Code
    injured_on: date
    assessed_on: date
    grade: Grade
    care_level: CareLevel = CareLevel.NONE
    reassessment: bool = False

    @model_validator(mode="after")
    def _not_before_injury(self) -> LabourCapacityAssessed:
        if self.assessed_on < self.injured_on:
            raise ValueError(f"assessed_on {self.assessed_on} is before the injury "
                             f"{self.injured_on}")
        return self


class WorkerDied(_Fact):
    """The worker's death. `work_related`: died of the work injury (因工死亡, NR-39 ¶1–2);
    otherwise a grade 1–4 worker's dependants still get the pension and funeral subsidy
    (NR-39 ¶3). Every periodic benefit of the worker stops from the next month (XM-23(3))."""

    died_on: date
    work_related: bool


class WorkerWentMissing(_Fact):
    """因工下落不明 (NR-41, XM-25): the accident day, or if it is unknown the day the worker
    was found missing (the 4th month is counted from it)."""

    accident_on: date | None
    found_missing_on: date

    @model_validator(mode="after")
    def _found_after_accident(self) -> WorkerWentMissing:
        if self.accident_on is not None and self.found_missing_on < self.accident_on:
            raise ValueError(f"found_missing_on {self.found_missing_on} is before the "
                             f"accident {self.accident_on}")
        return self


class DeathDeclared(_Fact):
    """A court's declaration of death (宣告死亡) of a missing worker (XM-25, NR-41)."""

    missing_since: date
    declared_on: date
    court: Text = ""

    @model_validator(mode="after")
    def _declared_after_missing(self) -> DeathDeclared:
        if self.declared_on < self.missing_since:
            raise ValueError(f"declared_on {self.declared_on} is before missing_since "
                             f"{self.missing_since}")
        return self


class ImprisonmentBegan(_Fact):
    """收监执行 of the worker (`dependant_id` None) or of a dependant (XM-23(5))."""

    dependant_id: Code | None = None
    imprisoned_on: date


class ReleasedFromPrison(_Fact):
    """刑满释放 (XM-23(5)); names the imprisonment it ends by its date."""

    dependant_id: Code | None = None
    imprisoned_on: date
    released_on: date

    @model_validator(mode="after")
    def _released_after_imprisoned(self) -> ReleasedFromPrison:
        if self.released_on < self.imprisoned_on:
            raise ValueError(f"released_on {self.released_on} is before imprisoned_on "
                             f"{self.imprisoned_on}")
        return self


class RetirementApproved(_Fact):
    """批准退休 and the monthly basic pension (XM-24)."""

    approved_on: date
    monthly_pension_fen: NonNegativeFen


# --- Dependants -------------------------------------------------------------------------------


class DependantRegistered(_Fact):
    """A dependant (供养亲属) recognised for the worker's pension (NR-39). `alone`: an orphan
    or a lone elderly person (孤儿/孤寡老人, +10%); a spouse is never `alone`. A `posthumous`
    child (遗腹子) is paid from the month after birth (XM-23(1)). `unable_to_work`: fully
    unable to work (完全丧失劳动能力), so not stopped at 18 (XM-23(2))."""

    dependant_id: Code
    relation: Relation
    born_on: date
    posthumous: bool = False
    alone: bool = False
    unable_to_work: bool = False
    registered_on: date

    @model_validator(mode="after")
    def _relation_fits_flags(self) -> DependantRegistered:
        if self.posthumous and self.relation is not Relation.CHILD:
            raise ValueError(f"a posthumous dependant is a child, not a {self.relation}")
        if self.alone and self.relation is Relation.SPOUSE:
            raise ValueError("a spouse is not an orphan or a lone elderly dependant")
        return self


class DependantDied(_Fact):
    """A dependant's death: their pension stops from the next month (XM-23(3))."""

    dependant_id: Code
    died_on: date


# --- Levels: reference data -------------------------------------------------------------------


FACTS: tuple[type[Event], ...] = (
    ContributionWageRecorded, InjuryRecognised, RecurrenceConfirmed, LabourCapacityAssessed,
    WorkerDied, WorkerWentMissing, DeathDeclared, ImprisonmentBegan, ReleasedFromPrison,
    RetirementApproved, DependantRegistered, DependantDied)
"""Every benefit fact: recorded by agency staff on `benefits-commands`, kept on
`benefits-events` once the benefits service found it possible."""


class _Level(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AllowancePayer(StrEnum):
    FUND = "fund"
    EMPLOYER = "employer"  # NR-36: grades 5–6 without suitable work
    NONE = "none"


class GradeLevel(_Level):
    """NR-35…37 for one grade: one-time subsidy in months of wage; monthly allowance."""

    grade: Grade
    one_time_subsidy_months: int = Field(strict=True, ge=0, le=120)
    monthly_allowance_percent: Percent = 0
    allowance_paid_by: AllowancePayer = AllowancePayer.NONE
    minimum_wage_top_up: bool = False  # NR-35: the fund tops up to the local minimum wage
    article: Code


class CareLevelRate(_Level):
    """NR-34: living-care fee per month as a percent of the city average wage."""

    care_level: CareLevel
    percent_of_city_average: Percent
    article: Code


class DeathLevels(_Level):
    """NR-39: funeral subsidy, one-time death subsidy, dependants' pensions and their cap."""

    funeral_subsidy_months: int = Field(strict=True, ge=0, le=120)  # of the city average
    death_subsidy_income_multiple: int = Field(strict=True, ge=0, le=100)  # × national income
    spouse_percent: Percent
    other_dependant_percent: Percent
    alone_extra_percent: Percent
    cap_percent_of_wage: Percent
    article: Code


class MissingLevels(_Level):
    """NR-41 / XM-14 / XM-25: wages for the accident month and the next `wage_months - 1`,
    the dependants' pension from the month after, an advance of the death subsidy."""

    wage_months: int = Field(strict=True, ge=0, le=24)
    death_subsidy_advance_percent: Percent
    article: Code


class WageBaseBounds(_Level):
    """NR-64: the wage base counts at least `floor` and at most `ceiling` % of the city
    average."""

    floor_percent: Percent
    ceiling_percent: Percent
    article: Code

    @model_validator(mode="after")
    def _floor_below_ceiling(self) -> WageBaseBounds:
        if self.floor_percent > self.ceiling_percent:
            raise ValueError(f"wage-base floor {self.floor_percent}% is above the ceiling "
                             f"{self.ceiling_percent}%")
        return self


class BenefitLevelsPublished(ReferenceData):
    """The benefit levels in force from `effective_from` (NR-34…41, NR-64) for a region, or
    nationally (`region` None); each group names its article, `source` the publication."""

    region: RegionCode | None = None
    effective_from: date
    source: Text
    grades: tuple[GradeLevel, ...]
    care_levels: tuple[CareLevelRate, ...]
    death: DeathLevels
    missing: MissingLevels
    wage_base: WageBaseBounds

    @model_validator(mode="after")
    def _every_grade_and_care_level_once(self) -> BenefitLevelsPublished:
        grades = sorted(g.grade for g in self.grades)
        if grades != list(range(1, 11)):
            raise ValueError(f"levels must give each grade 1–10 exactly once, got {grades}")
        cares = sorted(c.care_level.value for c in self.care_levels)
        wanted = sorted(c.value for c in CareLevel if c is not CareLevel.NONE)
        if cares != wanted:
            raise ValueError(f"levels must give each care level {wanted} exactly once, "
                             f"got {cares}")
        return self

    def grade(self, grade: int) -> GradeLevel:
        return next(g for g in self.grades if g.grade == grade)

    def care(self, level: CareLevel) -> CareLevelRate | None:
        return next((c for c in self.care_levels if c.care_level is level), None)


class UrbanIncomePublished(ReferenceData):
    """The national per-capita disposable income of urban residents for `year` (NR-39: the
    one-time death subsidy is 20 × the previous year's)."""

    year: int = Field(strict=True, ge=1990, le=2100)
    annual_income_fen: NonNegativeFen
    effective_from: date
    source: Text = ""


class MinimumWagePublished(ReferenceData):
    """The local monthly minimum wage (NR-35: grades 1–4 allowance topped up to it)."""

    region: RegionCode
    monthly_minimum_wage_fen: NonNegativeFen
    effective_from: date
    source: Text = ""


# --- Claims for one-time benefits (XM-10, XM-13…15, XM-17, XM-21) ------------------------------

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
MonthText = Annotated[str, Field(pattern=_MONTH)]
"""A calendar month, `YYYY-MM`."""

RuleId = Annotated[str, Field(min_length=1, max_length=40)]
"""A rule id as cited in the docs, e.g. `XM-23(4)`, `NR-35`."""


class BenefitClaimKind(StrEnum):
    """What a benefit claim (待遇申请) asks the fund for."""

    DISABILITY_SUBSIDY = "one_time_disability_subsidy"  # XM-10, NR-35…37
    FUNERAL_SUBSIDY = "funeral_subsidy"  # XM-10(6), NR-39, NR-41
    DEATH_SUBSIDY = "one_time_death_subsidy"  # XM-10(6), NR-39, XM-25
    DEATH_SUBSIDY_ADVANCE = "death_subsidy_advance"  # XM-14, NR-41
    MEDICAL_EMPLOYMENT_SUBSIDY = "medical_employment_subsidy"  # XM-15, XM-2(11), NR-37
    DEPENDANT_PENSION = "dependant_pension"  # XM-13, XM-10(9): monthly, paid by the run


class BenefitDocument(StrEnum):
    """The documents of XM-10 (a benefit claim), XM-13 (a dependant), XM-14 (the advance to
    a missing worker's family) and XM-15 (the subsidy toward the one-time medical and
    employment subsidies)."""

    REVIEW_FORM = "benefit_review_form"  # XM-10(1) 工伤保险待遇审核表
    INJURY_DETERMINATION = "injury_determination"  # XM-10(2) 工伤确认表(书)
    LABOUR_CAPACITY_ASSESSMENT = "labour_capacity_assessment"  # XM-10(3), XM-13(8) 鉴定书
    ID_COPY = "id_copy"  # XM-10(4) 身份证复印件
    MEDICAL_RECORDS = "medical_records"  # XM-10(6) 病历、出院小结
    DEATH_CERTIFICATE = "death_certificate"  # XM-10(6) 死亡证明
    HOUSEHOLD_DEREGISTRATION = "household_deregistration"  # XM-10(6) 户籍注销证明
    COURT_DECLARATION = "court_declaration_of_death"  # XM-25 宣告死亡判决书
    SOCIAL_SECURITY_CARD = "social_security_card"  # XM-10(7) 社会保障卡
    BANK_CARD_COPY = "bank_card_copy"  # XM-10(9) 银联银行卡复印件 (periodic benefits)
    HOUSEHOLD_REGISTER = "household_register_and_id"  # XM-13(1) 户口簿和身份证复印件
    RELATION_PROOF = "relation_proof"  # XM-13(2) 与工亡职工关系证明
    NO_INCOME_PROOF = "no_income_proof"  # XM-13(3) 无经济来源证明
    BIRTH_CERTIFICATE = "birth_certificate"  # XM-13(4) 遗腹子出生证明
    ALONE_PROOF = "orphan_or_lone_elderly_proof"  # XM-13(5) 孤寡老人或孤儿证明
    SCHOOLING_PROOF = "schooling_proof"  # XM-13(6) 16–18 岁就学/未就业证明
    DIFFICULTY_PROOF = "difficulty_proof"  # XM-14 单位及居(村)委会生活困难证明
    SUBSIDY_APPLICATION_FORM = "subsidy_application_form"  # XM-15(1) 补助申请表
    CONTRACT_TERMINATION = "contract_termination_proof"  # XM-15(2) 解除/终止劳动关系证明
    SUBSIDY_AGREEMENT = "subsidy_agreement"  # XM-15(3) 支付补助金协议
    EMPLOYER_PAYMENT_RECEIPT = "employer_payment_receipt"  # XM-15(4) 已支付凭据
    BENEFIT_NOTICE = "benefit_notice"  # XM-15(5) 工伤保险待遇通知书


class PayeeKind(StrEnum):
    """XM-21: one-time benefits go to the employer (who pays them on in full); monthly
    benefits to the person's own bank account (the worker's or the dependant's)."""

    EMPLOYER = "employer"
    PERSON = "person"


class _BenefitClaimCommand(Command):
    worker_id: ResidentId
    claim_id: Code


class FileBenefitClaim(_BenefitClaimCommand):
    """An employer or a family files a benefit claim with the documents handed in so far.
    `employer_id`: the employer a one-time benefit is paid to (XM-21(1)); `dependant_id`: the
    dependant a pension is claimed for (XM-13); `claimed_fen`: what the employer asks for the
    XM-15 subsidy (its level is the province's, not in the national levels)."""

    injury_id: Code
    kind: BenefitClaimKind
    employer_id: Code | None = None
    dependant_id: Code | None = None
    claimed_fen: NonNegativeFen | None = None
    documents: tuple[BenefitDocument, ...] = ()
    filed_on: date


class SubmitBenefitClaimDocuments(_BenefitClaimCommand):
    documents: tuple[BenefitDocument, ...] = Field(min_length=1)
    submitted_on: date


class ReviewBenefitClaim(_BenefitClaimCommand):
    """The review department's conclusion (审核, XM-17): the amount follows from the facts
    and the levels; only the XM-15 subsidy carries an `approved_fen`."""

    reviewed_on: date
    approved_fen: NonNegativeFen | None = None


class PayBenefitClaim(_BenefitClaimCommand):
    """Finance pays a reviewed claim (拨款, XM-17)."""

    paid_on: date


class RunMonthlyPayments(Command):
    """The monthly payment run (XM-21(3)) for `month`, made on `ran_on`: one payment per
    person and benefit owed, arrears for months a late fact changed. `fresh` False: a rerun
    of a month already run, paying only what changed since."""

    month: MonthText
    ran_on: date
    fresh: bool = True


class BenefitClaimFiled(Event):
    claim_id: str
    worker_id: ResidentId
    injury_id: Code
    kind: BenefitClaimKind
    employer_id: Code | None
    dependant_id: Code | None
    claimed_fen: NonNegativeFen | None
    documents: tuple[BenefitDocument, ...]
    missing_documents: tuple[BenefitDocument, ...]
    filed_on: date


class BenefitClaimDocumentsReceived(Event):
    claim_id: str
    worker_id: ResidentId
    documents: tuple[BenefitDocument, ...]
    missing_documents: tuple[BenefitDocument, ...]
    received_on: date


class BenefitClaimCompleted(Event):
    """XM-17: every document on the claim's checklist is in; review due 15 working days
    later (`calendar_estimated`: counted Monday–Friday, outside the official calendar)."""

    claim_id: str
    worker_id: ResidentId
    completed_on: date
    review_due_on: date
    calendar_estimated: bool = False


class BenefitClaimReviewed(Event):
    """XM-17, XM-21: the reviewed amount (None: a monthly benefit, paid by the run), who is
    paid and how; payment due 10 working days later."""

    claim_id: str
    worker_id: ResidentId
    kind: BenefitClaimKind
    amount_fen: NonNegativeFen | None
    payee: PayeeKind
    payee_id: Code
    channel: PaymentChannel = PaymentChannel.BANK_TRANSFER
    rules: tuple[RuleId, ...]
    reviewed_on: date
    payment_due_on: date
    calendar_estimated: bool = False


class _Posted(Event):
    """A money event with its balanced entries (> 0 debit, < 0 credit; they sum to zero)."""

    entries: tuple[Entry, ...]

    @model_validator(mode="after")
    def _balanced(self) -> _Posted:
        total = sum(e.amount_fen for e in self.entries)
        if total != 0:
            raise ValueError(f"entries do not balance: they sum to {total} fen")
        return self


class BenefitClaimPaid(_Posted):
    """A one-time benefit paid by bank transfer to the employer (XM-21(1)(2))."""

    claim_id: str
    worker_id: ResidentId
    injury_id: Code
    insured_region: RegionCode
    kind: BenefitClaimKind
    amount_fen: NonNegativeFen
    payee: PayeeKind
    payee_id: Code
    channel: PaymentChannel = PaymentChannel.BANK_TRANSFER
    paid_on: date


# --- The monthly payment run (XM-21(3), XM-22…26) ----------------------------------------------


class PeriodicBenefit(StrEnum):
    """Periodic benefits the fund pays monthly (XM-2), to the person's own account (XM-21)."""

    DISABILITY_ALLOWANCE = "disability_allowance"  # 伤残津贴, NR-35
    RETIREMENT_TOP_UP = "retirement_top_up"  # XM-24: allowance above the pension
    LIVING_CARE_FEE = "living_care_fee"  # 生活护理费, NR-34
    DEPENDANT_PENSION = "dependant_pension"  # 供养亲属抚恤金, NR-39 / NR-41


class _MonthlyMove(_Posted):
    payment_id: uuid.UUID
    run_month: MonthText
    worker_id: ResidentId
    injury_id: Code
    insured_region: RegionCode
    person_id: Code  # the worker's resident id or a dependant's id
    benefit: PeriodicBenefit
    benefit_month: MonthText
    revision: int = Field(strict=True, ge=1, le=10_000)
    amount_fen: NonNegativeFen
    arrears: bool  # for a month before the run's month
    paid_on: date


class MonthlyBenefitPaid(_MonthlyMove):
    """One person's benefit for one month, by bank into their own account (XM-21(3));
    `revision` counts the payments of that (person, benefit, month), the first is 1."""

    payee: PayeeKind = PayeeKind.PERSON
    channel: PaymentChannel = PaymentChannel.BANK_TRANSFER
    rules: tuple[RuleId, ...] = ()


class MonthlyBenefitReversed(_MonthlyMove):
    """A payment cancelled in full (a later fact changed what the month is owed); never an
    edit: a new payment of the right amount, if any, follows it."""

    reverses: uuid.UUID
    reason: Text = ""


class HeldWorker(BaseModel):
    """A worker the run could not compute (e.g. no city average yet), with the reason code;
    a later run pays the months as arrears once the data is there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    worker_id: ResidentId
    code: Code
    detail: Text = ""


class PaymentRunCompleted(Event):
    """The monthly run for `run_month` (`fresh`: the first; else a rerun that found
    differences): counts and totals of what it emitted."""

    run_id: Code
    run_month: MonthText
    ran_on: date
    fresh: bool
    payments: int = Field(strict=True, ge=0)
    reversals: int = Field(strict=True, ge=0)
    paid_fen: NonNegativeFen
    reversed_fen: NonNegativeFen
    held: tuple[HeldWorker, ...] = ()
