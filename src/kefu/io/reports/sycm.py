"""生意参谋 / 千牛 服务绩效, per account (客服绩效统计表): one credit rule per file."""

from __future__ import annotations

from kefu.io.reports.columns import columns, names
from kefu.io.reports.model import ReportSpec

SPEC = ReportSpec(
    source="sycm",
    label_zh="生意参谋 服务绩效",
    label_en="生意参谋 (Taobao) service performance",
    agent_columns=names("旺旺昵称", "客服旺旺", "子账号"),
    columns=columns(
        ("咨询人数", "consulted_buyers", "count"),
        ("有效接待人数", "served_buyers", "count"),
        ("接待人数", "served_buyers", "count"),
        ("询单人数", "inquiring_buyers", "count"),
        ("询单最终付款人数", "paying_buyers", "count"),
        ("询单到次日付款人数", "next_day_paying_buyers", "count"),
        ("询单转化率", "conversion_rate", "rate"),
        ("下单人数", "ordering_buyers", "count"),
        ("下单金额", "ordered_sales_fen", "fen"),
        ("销售人数", "sales_buyers", "count"),
        ("客服销售人数", "sales_buyers", "count"),
        ("销售额", "sales_fen", "fen"),
        ("客服销售额", "sales_fen", "fen"),
        ("销售量", "items", "count"),
        ("订单量", "orders", "count"),
        ("客单价", "avg_spend_fen", "mean_fen"),
        ("个人销售额占比", "sales_share", "rate"),
        ("客服销售占比", "sales_share", "rate"),
        ("成功退款金额", "refund_fen", "fen"),
        ("净销售额", "net_sales_fen", "fen"),
        ("未回复人数", "unanswered_buyers", "count"),
        ("慢响应人数", "slow_response_buyers", "count"),
        ("长接待人数", "long_reception_buyers", "count"),
        ("平均响应时长(秒)", "avg_response_s", "mean_s"),
        ("客户满意率", "satisfaction_rate", "rate"),
        ("旺旺回复率", "reply_rate", "rate"),
        ("平台求助率", "platform_help_rate", "rate"),
        ("平台判责率", "platform_fault_rate", "rate"),
    ),
    signature=frozenset(
        names(
            "旺旺昵称",
            "有效接待人数",
            "个人销售额占比",
            "成功退款金额",
            "净销售额",
            "询单最终付款人数",
            "询单到次日付款人数",
            "长接待人数",
            "旺旺回复率",
        )
    ),
)
