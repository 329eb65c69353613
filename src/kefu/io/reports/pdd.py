"""拼多多 客服数据 (csReportDetail): per account; sales settle about three days late."""

from __future__ import annotations

from kefu.io.reports.columns import columns, names
from kefu.io.reports.model import ReportSpec

SPEC = ReportSpec(
    source="pdd",
    label_zh="拼多多 客服数据",
    label_en="Pinduoduo agent data",
    agent_columns=names("客服账号", "客服"),
    columns=columns(
        ("咨询人数", "consulted_buyers", "count"),
        ("询单人数", "inquiring_buyers", "count"),
        ("最终成团人数", "paying_buyers", "count"),
        ("询单转化率", "conversion_rate", "rate"),
        ("客服销售额", "sales_fen", "fen"),
        ("客服销售额(元)", "sales_fen", "fen"),
        ("去退销售额(元)", "net_sales_fen", "fen"),
        ("平均人工响应时长", "avg_response_s", "mean_s"),
        ("需要人工回复的咨询人数", "needs_reply_buyers", "count"),
        ("30秒应答率(8-23点)", "response_30s_rate", "rate"),
        ("3分钟人工回复率(8-23点)", "reply_3min_rate", "rate"),
        ("3分钟未回复人数", "unanswered_3min_buyers", "count"),
        ("客服服务分", "service_score", "ratio"),
    ),
    signature=frozenset(
        names(
            "客服账号",
            "最终成团人数",
            "去退销售额(元)",
            "平均人工响应时长",
            "需要人工回复的咨询人数",
            "30秒应答率(8-23点)",
            "3分钟人工回复率(8-23点)",
            "3分钟未回复人数",
            "客服服务分",
        )
    ),
    # last agent before the order, else before payment, else before 成团 (2018 rules)
    credit_rule="order_first",
)
