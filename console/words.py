"""Codes in words: roles, statuses, types and the services' refusal reason codes.

The services answer a refusal with a `reason_code` and an English `reason`; staff read the
Chinese words for the code (the label, translated by `i18n`), the rule id where a rule
decided, and the service's own sentence beneath it (it names the ids and dates involved).
"""

from __future__ import annotations

from contracts.actor import Role

ROLE = {Role.REGISTRATION_CLERK: "备案经办", Role.REGISTRATION_REVIEWER: "备案审核",
        Role.CLAIMS_REVIEWER: "待遇审核", Role.FINANCE: "财务",
        Role.CLEARING_OFFICER: "清算员", Role.AUDITOR: "稽核", Role.OPERATOR: "运维人员"}

REGISTRATION_TYPE = {"long_term_residence": "异地长期居住", "stationed_work": "常驻异地工作",
                     "referral": "异地转诊转院"}
CONFIRMATION = {"injury_determination": "工伤认定", "recurrence": "工伤复发确认",
                "rehabilitation": "工伤康复确认", "assistive_device": "辅助器具配置确认"}
REGISTRATION_STATUS = {"pending": "待审核", "approved": "已批准", "rejected": "已驳回",
                       "cancelled": "已撤销", "expired": "已过期"}
ENCOUNTER_STATUS = {"open": "在院", "discharged": "已出院", "cancelled": "已取消"}
SETTLEMENT_MODE = {"direct": "直接结算", "reimbursable": "零星报销方式"}
CLAIM_STATUS = {"incomplete": "材料不全", "complete": "材料齐全", "reviewed": "已审核",
                "paid": "已支付"}
CLAIMANT = {"worker": "职工本人", "employer": "用人单位"}
CHANNEL = {"bank_transfer": "银行转账", "cash": "现金"}
DOCUMENT = {"benefit_review_form": "待遇审核表", "injury_determination": "工伤确认表",
            "labour_capacity_assessment": "劳动能力鉴定书", "id_copy": "身份证复印件",
            "invoices_and_itemised_bill": "医疗费发票和费用总清单",
            "medical_records": "病历、出院小结", "social_security_card": "社会保障卡",
            "transfer_approval": "转外就医审核表"}
CYCLE_STATUS = {"open": "开放", "closed": "已关闭", "settled": "已清算", "aborted": "已终止"}
PREPAYMENT_STATUS = {"ok": "正常", "warning": "预警", "overdrawn": "透支"}

LINE_REASON: dict[str, tuple[str, str]] = {
    # code: (words, rule id) — every unpaid fen of a line has one (contracts.settlement)
    "not_in_catalog": ("不在目录内", "SD-ENC-6"),
    "over_standard": ("超出支付标准", "SD-ENC-6"),
    "self_pay_part": ("目录自付比例部分", "SD-ENC-6"),
    "not_injury_related": ("与工伤无关", "SD-ENC-5"),
    "third_party_liability": ("第三人责任", "SD-ENC-4"),
    "outside_cross_provincial_scope": ("超出跨省直接结算范围", "SD-ENC-3"),
}

REFUSAL: dict[str, str] = {
    "unauthenticated": "未登录或登录已失效",
    "forbidden_role": "您的角色无权执行此操作",
    "forbidden_region": "您无权代表该地区办理",
    "forbidden_institution": "不属于您的机构",
    "four_eyes": "二人复核：同一人不能办理前后两个环节",
    "token_expired": "登录已过期，请重新登录",
    "change_locked": "变更锁定期内：备案登记满3个月后方可变更或撤销（SD-REG-5）",
    "no_completed_confirmation": "缺少已完成的工伤认定等确认（SD-REG-1）",
    "confirmation_not_completed": "确认尚未完成（SD-REG-1）",
    "not_insured": "未参加工伤保险（SD-REG-1）",
    "no_social_security_card": "缺少社会保障卡（SD-REG-7）",
    "registration_exists": "该备案编号已存在",
    "overlapping_registration": "与已有备案的有效期重叠",
    "registration_expired": "备案已过期（SD-REG-4）",
    "registration_rejected": "备案已被驳回",
    "registration_cancelled": "备案已撤销",
    "registration_not_approved": "该备案未批准",
    "unknown_registration": "没有这个备案",
    "treatment_at_insured_place": "就医地与参保地相同，无需异地备案",
    "effective_date_out_of_window": "生效日期不在备案有效期内",
    "backdated_change": "生效日期不能早于当前就医地的起始日",
    "no_change": "内容没有变化",
    "decision_before_registration": "审核日期早于备案日期",
    "invalid_referral_window": "转诊有效期有误",
    "referral_window_not_allowed": "只有转诊备案可以填写转诊有效期",
    "cycle_not_closed": "清算周期尚未关闭",
    "cycle_not_confirmed": "清算周期尚未经双方确认（SD-FUND-2）",
    "unknown_cycle": "没有这个清算周期",
    "invalid_cycle_id": "清算周期编号有误",
    "not_a_party": "该地区不是此清算周期的一方",
    "already_settled": "已经清算",
    "unknown_settlement": "没有这个结算",
    "refusal_exceeds_settlement": "拒付金额超过结算金额（SD-FUND-3）",
    "documents_incomplete": "报销材料不齐全，审核期限尚未开始（XM-17）",
    "not_reviewed": "报销尚未审核",
    "already_reviewed": "报销已审核",
    "claim_already_reviewed": "报销已审核",
    "approved_exceeds_claimed": "核定金额超过申请金额",
    "cash_not_allowed": "该金额不允许现金支付（XM-21）",
    "unknown_claim": "没有这个报销单",
    "duplicate_claim": "重复的报销单",
    "invalid_envelope": "消息格式有误",
    "validation_failed": "内容不符合要求",
    "service_unavailable": "服务暂不可用",
}


def refusal(code: str) -> str:
    """The Chinese words for a reason code; an unknown code shows as itself."""
    return REFUSAL.get(code, code)
