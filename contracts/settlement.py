"""Settlement (结算) messages: what the fund pays, per line and per encounter, and claims.

The money events here are what clearing posts to the ledger: `EncounterSettled` and
`SettlementReversed` (direct settlement, SD 1(6) / XM-18), `ClaimPaid` (reimbursement,
XM-19/21), `AdvanceGranted` / `AdvanceOffset` (XM-20), `EmployerReceivableRaised` (XM-18
clawback). A correction never edits a settlement: it reverses it and settles again.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.message import Command, Event
from contracts.types import Code, Fen, InstitutionId, NonNegativeFen, RegionCode, ResidentId, Text


class LineReason(StrEnum):
    """Why (part of) a line is not paid by the fund; every unpaid fen has one."""

    NOT_IN_CATALOG = "not_in_catalog"  # SD-ENC-6
    OVER_STANDARD = "over_standard"  # SD-ENC-6 (price cap / fee limit)
    SELF_PAY_PART = "self_pay_part"  # catalog self-pay percentage
    NOT_INJURY_RELATED = "not_injury_related"  # SD-ENC-5
    THIRD_PARTY_LIABILITY = "third_party_liability"  # SD-ENC-4
    OUTSIDE_CROSS_PROVINCIAL_SCOPE = "outside_cross_provincial_scope"  # SD-ENC-3
    NOT_SETTLED_DIRECTLY = "not_settled_directly"  # SD-ENC-8


class Payee(StrEnum):
    INSTITUTION = "institution"
    EMPLOYER = "employer"
    WORKER = "worker"


class PaymentChannel(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"


class AdjudicatedLine(BaseModel):
    """One charge line judged: submitted = fund + self + employer, always."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int
    item_code: Code
    submitted_fen: NonNegativeFen
    eligible_fen: NonNegativeFen
    fund_fen: NonNegativeFen
    self_fen: NonNegativeFen
    employer_fen: NonNegativeFen = 0
    reasons: tuple[LineReason, ...] = ()
    catalog_version: str | None = None  # "<kind>:<region>@<effective_from>" used to judge it
    local_code: Code | None = None  # the institution's code as sent, when mapped (3301)

    @model_validator(mode="after")
    def _every_fen_accounted_for(self) -> AdjudicatedLine:
        shares = self.fund_fen + self.self_fen + self.employer_fen
        if shares != self.submitted_fen:
            raise ValueError(f"line {self.line_no}: fund + self + employer = {shares} fen, "
                             f"not the submitted {self.submitted_fen}")
        if self.fund_fen > self.eligible_fen or self.eligible_fen > self.submitted_fen:
            raise ValueError(f"line {self.line_no}: need fund <= eligible <= submitted")
        return self


class EncounterSettled(Event):
    """Direct settlement at discharge: the fund owes the institution `fund_fen`."""

    settlement_id: str
    encounter_id: str
    revision: int = Field(ge=0)
    institution_id: InstitutionId
    worker_id: ResidentId
    insured_region: RegionCode
    treatment_region: RegionCode
    cross_provincial: bool
    settled_on: date
    lines: tuple[AdjudicatedLine, ...]
    submitted_fen: NonNegativeFen
    fund_fen: NonNegativeFen
    self_fen: NonNegativeFen
    employer_fen: NonNegativeFen = 0

    @model_validator(mode="after")
    def _totals_are_the_sum_of_lines(self) -> EncounterSettled:
        """What clearing posts must add up: totals = Σ lines, fund + self + employer = submitted."""
        for name in ("submitted_fen", "fund_fen", "self_fen", "employer_fen"):
            total = sum(getattr(line, name) for line in self.lines)
            if getattr(self, name) != total:
                raise ValueError(f"{name} {getattr(self, name)} is not the sum of the lines "
                                 f"({total})")
        return self


class SettlementReversed(Event):
    """Cancels a settlement in full (before a corrected one is issued); never an edit."""

    settlement_id: str
    encounter_id: str
    institution_id: InstitutionId
    worker_id: ResidentId
    insured_region: RegionCode
    treatment_region: RegionCode
    cross_provincial: bool
    reversed_on: date
    fund_fen: NonNegativeFen
    self_fen: NonNegativeFen
    reason: Text


class ClaimPaid(Event):
    """A reviewed reimbursement paid from the insured place's fund (XM-19, XM-21)."""

    claim_id: str
    worker_id: ResidentId
    employer_id: str | None
    insured_region: RegionCode
    payee: Payee
    channel: PaymentChannel
    amount_fen: NonNegativeFen
    paid_on: date


class AdvanceGranted(Event):
    """XM-20: an employer borrows an advance from the fund for a long, costly treatment."""

    advance_id: str
    claim_id: str
    employer_id: str
    worker_id: ResidentId
    insured_region: RegionCode
    amount_fen: NonNegativeFen
    granted_on: date


class AdvanceOffset(Event):
    """XM-20: at final settlement the advance is offset; `remainder_fen` > 0 is still paid to
    the employer, < 0 is recovered from it."""

    advance_id: str
    claim_id: str
    employer_id: str
    worker_id: ResidentId
    insured_region: RegionCode
    advance_fen: NonNegativeFen
    final_fen: NonNegativeFen
    remainder_fen: Fen
    offset_on: date


class EmployerReceivableRaised(Event):
    """XM-18: injury finally not recognised (employer misreported): settled-on-account money
    becomes a receivable on the employer."""

    receivable_id: str
    employer_id: str
    worker_id: ResidentId
    insured_region: RegionCode
    amount_fen: NonNegativeFen
    settlement_ids: tuple[str, ...]
    raised_on: date
    reason: Text


# --- Direct settlement: the notice, and encounters left for reimbursement ------------------


class SettlementNoticeIssued(Event):
    """结算通知书 (XM-18): what the institution may bill and what the worker pays, with the
    date by which the institution's batch is answered (XM-17: 5 working days)."""

    settlement_id: str
    encounter_id: str
    institution_id: InstitutionId
    worker_id: ResidentId
    fund_fen: NonNegativeFen
    self_fen: NonNegativeFen
    issued_on: date
    answer_due_on: date
    calendar_estimated: bool = False  # due date computed Mon–Fri: no official calendar yet
    on_account: bool = True  # XM-18(1): notice issued before discharge, settled on account


class EncounterReimbursable(Event):
    """A discharged encounter that is NOT settled directly (SD-ENC-1/3/4/7): adjudicated the
    same way, so a reimbursement claim can be filed for it at the insured place."""

    encounter_id: str
    revision: int = Field(ge=0)
    institution_id: InstitutionId
    worker_id: ResidentId
    insured_region: RegionCode
    treatment_region: RegionCode
    not_direct_reasons: tuple[str, ...]
    recorded_on: date
    lines: tuple[AdjudicatedLine, ...]
    submitted_fen: NonNegativeFen
    fund_fen: NonNegativeFen
    self_fen: NonNegativeFen
    employer_fen: NonNegativeFen = 0


# --- Reimbursement claims (报销/核销), XM-10/11/12/16/17/19/20/21 --------------------------


class ClaimSituation(StrEnum):
    """Why a claim exists; each situation adds documents to the XM-10 base checklist."""

    NON_ENABLED_INSTITUTION = "non_enabled_institution"  # SD-ENC-7
    CROSS_PROVINCIAL_OUTPATIENT = "cross_provincial_outpatient"  # SD-ENC-3
    REFERRAL_COSTS = "referral_costs"  # SD-ENC-8 travel, lodging, meal allowance
    NO_NOTICE_BEFORE_DISCHARGE = "no_notice_before_discharge"  # XM-19(1)
    OUTPATIENT = "outpatient"  # XM-19(2)
    TRANSFER_OUT = "transfer_out"  # XM-11(5), XM-19(3)
    OCCUPATIONAL_DISEASE = "occupational_disease"  # XM-11(6), XM-19(4)
    RECURRENCE = "recurrence"  # XM-11(3), XM-12(4)
    MEDICAL_DEPENDENCE = "medical_dependence"  # XM-11(4), XM-12(3)
    THIRD_PARTY = "third_party"  # XM-11(10)/(11), XM-20
    REHABILITATION = "rehabilitation"  # XM-11(7)
    ASSISTIVE_DEVICE = "assistive_device"  # XM-11(8), XM-12(2)
    STAGED_REIMBURSEMENT = "staged_reimbursement"  # XM-16, XM-20
    ONE_TIME_BENEFIT = "one_time_benefit"  # XM-21(1)


class DocumentKind(StrEnum):
    """Documents of XM-10 (base) and XM-11 / XM-16 (per situation)."""

    BENEFIT_REVIEW_FORM = "benefit_review_form"  # 待遇审核表
    INJURY_DETERMINATION = "injury_determination"  # 工伤确认表(书)
    LABOUR_CAPACITY_ASSESSMENT = "labour_capacity_assessment"  # 劳动能力鉴定书 / 医疗终结表
    ID_COPY = "id_copy"  # 身份证复印件
    INVOICES_AND_ITEMISED_BILL = "invoices_and_itemised_bill"  # 医疗费发票和费用总清单
    MEDICAL_RECORDS = "medical_records"  # 病历、出院小结
    SOCIAL_SECURITY_CARD = "social_security_card"  # 社会保障卡
    TRANSFER_APPROVAL = "transfer_approval"  # 转外就医审核(批)表
    OCCUPATIONAL_DISEASE_CERTIFICATE = "occupational_disease_certificate"  # 职业病诊断证明书
    RECURRENCE_CONFIRMATION = "recurrence_confirmation"  # 旧伤复发确认书
    MEDICAL_DEPENDENCE_CONFIRMATION = "medical_dependence_confirmation"  # 医疗依赖确认书
    LIABILITY_DECISION = "liability_decision"  # 判决书 / 调解书 / 赔偿协议
    REHAB_CONFIRMATION = "rehab_confirmation"  # 康复治疗确认书
    REHAB_PLAN = "rehab_plan"  # 康复计划表 / 特殊医疗、康复费用核准表
    DEVICE_CONFIRMATION = "device_confirmation"  # 配置辅助器具确认书 / 核准表
    TRAVEL_RECEIPTS = "travel_receipts"  # SD-ENC-8 交通、食宿票据 (insured-place rules)
    EMPLOYER_APPLICATION = "employer_application"  # XM-16 用人单位申请报告
    CONSULTATION_RECORD = "consultation_record"  # XM-16 三级医疗机构会诊记录、病历摘要


class ClaimCostKind(StrEnum):
    MEDICAL = "medical"
    REHABILITATION = "rehabilitation"
    ASSISTIVE_DEVICE = "assistive_device"
    TRAVEL = "travel"  # SD-ENC-8
    LODGING = "lodging"  # SD-ENC-8
    MEAL_ALLOWANCE = "meal_allowance"  # SD-ENC-8 住院伙食补助
    ONE_TIME_BENEFIT = "one_time_benefit"  # XM-21(1)


class Claimant(StrEnum):
    WORKER = "worker"
    EMPLOYER = "employer"


class ClaimStatus(StrEnum):
    INCOMPLETE = "incomplete"  # documents missing: the XM-17 clock has not started
    COMPLETE = "complete"  # documents complete: review due in 15 working days
    REVIEWED = "reviewed"  # payment due in 10 working days
    PAID = "paid"


class InjuryFacts(BaseModel):
    """XM-9: paid only if the injury is recognised and insurance was in force that day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    injury_date: date
    recognised: bool
    insured_on_injury_date: bool


class ClaimCost(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClaimCostKind
    amount_fen: NonNegativeFen
    encounter_id: str | None = None  # a discharged encounter of ours, if there is one
    description: Text = ""


class _ClaimCommand(Command):
    worker_id: ResidentId


class FileClaim(_ClaimCommand):
    """A worker or employer claims back what was not settled directly."""

    claim_id: Code
    claimant: Claimant
    employer_id: Code | None = None
    insured_region: RegionCode
    situations: tuple[ClaimSituation, ...] = Field(min_length=1)
    injury: InjuryFacts
    costs: tuple[ClaimCost, ...] = Field(min_length=1)
    documents: tuple[DocumentKind, ...] = ()
    filed_on: date


class SubmitClaimDocuments(_ClaimCommand):
    claim_id: Code
    documents: tuple[DocumentKind, ...] = Field(min_length=1)
    submitted_on: date


class ReviewClaim(_ClaimCommand):
    """The review department's result (审核): the approved amount and the wished channel."""

    claim_id: Code
    approved_fen: NonNegativeFen
    reviewed_on: date
    requested_channel: PaymentChannel = PaymentChannel.BANK_TRANSFER


class PayClaim(_ClaimCommand):
    """Finance pays a reviewed claim (拨款)."""

    claim_id: Code
    paid_on: date


class GrantAdvance(_ClaimCommand):
    """XM-20: the employer borrows an advance against a claim's treatment costs."""

    advance_id: Code
    claim_id: Code
    amount_fen: NonNegativeFen
    granted_on: date


class RecordInjuryNotRecognised(_ClaimCommand):
    """XM-18: the injury is finally not recognised because the employer misreported."""

    employer_id: Code
    decided_on: date
    reason: Text


class ClaimFiled(Event):
    claim_id: str
    worker_id: ResidentId
    claimant: Claimant
    employer_id: str | None
    insured_region: RegionCode
    situations: tuple[ClaimSituation, ...]
    injury: InjuryFacts
    costs: tuple[ClaimCost, ...]
    claimed_fen: NonNegativeFen
    documents: tuple[DocumentKind, ...]
    missing_documents: tuple[DocumentKind, ...]
    filed_on: date


class ClaimDocumentsSubmitted(Event):
    claim_id: str
    worker_id: ResidentId
    documents: tuple[DocumentKind, ...]
    missing_documents: tuple[DocumentKind, ...]
    submitted_on: date


class ClaimCompleted(Event):
    """XM-10/11/17: every required document is present; the review clock starts."""

    claim_id: str
    worker_id: ResidentId
    completed_on: date
    review_due_on: date
    calendar_estimated: bool = False


class ClaimReviewed(Event):
    """XM-17/19/21: reviewed amount, payee and channel; payment due in 10 working days."""

    claim_id: str
    worker_id: ResidentId
    approved_fen: NonNegativeFen
    payee: Payee
    channel: PaymentChannel
    reviewed_on: date
    payment_due_on: date
    calendar_estimated: bool = False
