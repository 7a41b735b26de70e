"""Labels: zh-CN by default, English with `?lang=en` (kept in a cookie).

A label is written in Chinese where it is used (`t("备案")`): the Chinese text is the key,
so templates read as the staff see them; `EN` holds the English. A label missing from
`EN` shows in Chinese (a test checks that every label used has its English).
"""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("zh", "en")
DEFAULT = "zh"

EN: dict[str, str] = {
    "工伤异地就医结算 · 经办控制台": "Work-injury off-site settlement · staff console",
    "登录": "Sign in", "退出": "Sign out", "用户名": "User name", "密码": "Password",
    "用户名或密码不正确": "Wrong user name or password",
    "请先登录": "Please sign in", "登录已失效，请重新登录": "Your sign-in expired; sign in again",
    "当前用户": "Signed in", "角色": "Roles", "地区": "Regions", "首页": "Home",
    "备案": "Registrations", "就医与结算": "Encounters", "零星报销": "Claims",
    "清算": "Clearing", "预付金": "Prepayments", "运维": "Operations",
    "审核队列": "Review queue", "待审核": "Pending", "已批准": "Approved",
    "已驳回": "Rejected", "已撤销": "Cancelled", "已过期": "Expired",
    "备案申请": "Apply for a registration", "备案编号": "Registration id",
    "身份证号": "Resident id", "社保卡号": "Social security card",
    "已参加工伤保险": "Insured for work injury", "确认类型": "Confirmation",
    "确认文号": "Confirmation no.", "确认日期": "Confirmed on",
    "备案类型": "Registration type", "参保地": "Insured place", "就医地": "Treatment place",
    "定点机构": "Institution", "业务日期": "Business date", "提交": "Submit",
    "查询职工": "Find a worker", "查询": "Find", "职工": "Worker",
    "覆盖时间轴": "Coverage timeline", "有效期": "Validity", "登记日期": "Registered on",
    "变更锁定至": "Change locked until", "状态": "Status", "操作": "Actions",
    "批准": "Approve", "驳回": "Reject", "驳回理由": "Reason for rejection",
    "变更": "Change", "撤销": "Cancel", "生效日期": "Effective on", "理由": "Reason",
    "新就医地": "New treatment place", "事件记录": "Event history", "时间": "Time",
    "事件": "Event", "暂无记录": "Nothing yet",
    "异地长期居住": "Long-term residence", "常驻异地工作": "Stationed work",
    "异地转诊转院": "Referral", "工伤认定": "Injury determination",
    "工伤复发确认": "Recurrence", "工伤康复确认": "Rehabilitation",
    "辅助器具配置确认": "Assistive device",
    "已受理": "Accepted", "已提交，等待服务处理": "Sent; the service is still deciding",
    "服务拒绝": "Refused", "服务暂不可用，表单已保留，请稍后重试":
        "The service is not reachable; the form is kept, try again later",
    "输入有误": "Please correct the form", "此项必填": "Required",
    "就诊记录": "Encounters", "就诊号": "Encounter", "入院": "Admitted", "出院": "Discharged",
    "医疗机构": "Institution", "费用明细": "Charge lines", "行号": "Line",
    "项目编码": "Item", "数量": "Quantity", "金额": "Amount", "申报金额": "Submitted",
    "基金支付": "Fund", "个人自付": "Self", "单位负担": "Employer", "原因": "Reasons",
    "结算": "Settlement", "结算版本": "Revisions", "版本": "Revision",
    "结算方式": "Mode", "决定日期": "Decided on", "合计": "Total",
    "下载结算单 PDF": "Download settlement slip (PDF)", "尚未结算": "Not settled yet",
    "直接结算": "Direct", "零星报销方式": "Reimbursable",
    "在院": "Open", "已出院": "Discharged", "已取消": "Cancelled",
    "报销单号": "Claim", "申请人": "Claimant", "申请日期": "Filed on",
    "审核期限": "Review due", "支付期限": "Payment due", "缺少材料": "Missing documents",
    "申请金额": "Claimed", "核定金额": "Approved", "已逾期": "Overdue",
    "截至日期": "As of", "审核": "Review", "支付": "Pay", "支付方式": "Channel",
    "银行转账": "Bank transfer", "现金": "Cash", "材料不全": "Incomplete",
    "材料齐全": "Complete", "已审核": "Reviewed", "已支付": "Paid",
    "职工本人": "Worker", "用人单位": "Employer", "审核日期": "Reviewed on",
    "支付日期": "Paid on", "核定金额（元）": "Approved (yuan)",
    "清算周期": "Clearing cycles", "月份": "Month", "周期": "Cycle", "范围": "Scope",
    "已确认": "Confirmed by", "有异议": "Disputed by", "对账单": "Statement",
    "付款方": "Debtor", "收款方": "Creditor", "结算金额": "Settled", "拒付金额": "Refused",
    "净额": "Net", "各机构金额": "Per institution", "下载": "Download",
    "关闭周期": "Close cycle", "确认": "Confirm", "提出异议": "Dispute",
    "完成清算": "Settle", "拒付": "Refuse items", "拒付编号": "Refusal id",
    "结算编号": "Settlement id", "拒付金额（元）": "Amount (yuan)", "原因代码": "Reason code",
    "代表地区": "For region", "开放": "Open", "已关闭": "Closed", "已清算": "Settled",
    "已终止": "Aborted", "省内": "Intra-provincial", "跨省": "Inter-provincial",
    "预付金头寸": "Prepayment positions", "账户": "Account", "拨付总额": "Funded",
    "余额": "Balance", "预警线": "Warning line", "正常": "OK", "预警": "Warning",
    "透支": "Overdrawn", "申请补足": "Top-up requested", "余额走势": "Balance over time",
    "死信": "Dead letters", "重新投递": "Re-drive", "服务": "Service", "阶段": "Stage",
    "原始消息": "Original", "已重投": "Re-driven", "是": "yes", "否": "no",
    "消费延迟": "Consumer lag", "消费组": "Group", "主题": "Topic", "分区": "Partition",
    "已提交位点": "Committed", "末端位点": "End", "延迟": "Lag", "审计记录": "Audit trail",
    "操作人": "Actor", "对象": "Subject", "没有权限查看此页面": "You may not see this page",
    "无法连接 Kafka": "Kafka is not reachable",
    "备案经办": "registration clerk", "备案审核": "registration reviewer",
    "待遇审核": "claims reviewer", "财务": "finance", "清算员": "clearing officer",
    "稽核": "auditor", "运维人员": "operator", "语言": "Language",
    "登录后可使用的功能": "What you may use", "元": "yuan",
    "待遇审核表": "Benefit review form", "工伤确认表": "Injury determination",
    "劳动能力鉴定书": "Labour capacity assessment", "身份证复印件": "ID copy",
    "医疗费发票和费用总清单": "Invoices and itemised bill", "病历、出院小结": "Medical records",
    "社会保障卡": "Social security card", "转外就医审核表": "Transfer approval",
    "无": "none", "全部": "All", "其他": "Other", "返回": "Back",
    "保存的查询条件": "Filters", "消息": "Message",
}


def translator(lang: str) -> Callable[[str], str]:
    if lang == "en":
        return lambda label: EN.get(label, label)
    return lambda label: label
