"""抖店 飞鸽 客服数据: per-agent figures (and the 飞鸽_客服表现 layout); durations as 7小时41分52秒."""

from __future__ import annotations

from kefu.io.reports.columns import columns, names
from kefu.io.reports.model import ReportSpec

SPEC = ReportSpec(
    source="feige",
    label_zh="抖店 飞鸽 客服数据",
    label_en="Douyin 飞鸽 (Feige) agent data",
    agent_columns=names("客服昵称", "账号名称", "客服"),
    columns=columns(
        ("人工已接待人数", "served_buyers", "count"),
        ("已接待人数", "served_buyers", "count"),
        ("人工已接待会话量", "served_sessions", "count"),
        ("接待会话量", "served_sessions", "count"),
        ("待回复会话量", "waiting_sessions", "count"),
        ("转出会话量", "transferred_out_sessions", "count"),
        ("CPD", "cpd", "ratio"),
        ("不满意率", "dissatisfaction_rate", "rate"),
        ("全天不满意率", "dissatisfaction_rate", "rate"),
        ("满意率", "satisfaction_rate", "rate"),
        ("全天满意率", "satisfaction_rate", "rate"),
        ("有效评价数", "evaluations", "count"),
        ("有效好评数", "good_evaluations", "count"),
        ("有效差评数", "bad_evaluations", "count"),
        ("3分钟人工回复率(会话)", "reply_3min_session_rate", "rate"),
        ("3分钟人工回复率", "reply_3min_rate", "rate"),
        ("全天3分钟回复率", "reply_3min_rate", "rate"),
        ("首次响应时长(秒)", "first_response_s", "mean_s"),
        ("全天首响时长", "first_response_s", "mean_s"),
        ("平均响应时长(秒)", "avg_response_s", "mean_s"),
        ("全天平响时长", "avg_response_s", "mean_s"),
        ("新平均响应时长(秒)", "new_avg_response_s", "mean_s"),
        ("客服销售额(元)", "sales_fen", "fen"),
        ("客服询单支付额", "sales_fen", "fen"),
        ("退款后销售额", "net_sales_fen", "fen"),
        ("询单人数", "inquiring_buyers", "count"),
        ("下单人数", "ordering_buyers", "count"),
        ("支付人数", "paying_buyers", "count"),
        ("退款人数", "refunding_buyers", "count"),
        ("询单转化率", "conversion_rate", "rate"),
        ("预警会话量", "warning_sessions", "count"),
        ("PC在线时长(时)", "online_s", "hours"),
        ("PC小休时长(时)", "away_s", "hours"),
        ("PC离线时长(时)", "offline_s", "hours"),
    ),
    signature=frozenset(
        names(
            "人工已接待人数",
            "人工已接待会话量",
            "CPD",
            "3分钟人工回复率(会话)",
            "3分钟人工回复率",
            "新平均响应时长(秒)",
            "客服销售额(元)",
            "支付人数",
            "预警会话量",
            "全天满意率",
            "全天平响时长",
            "客服询单支付额",
            "退款后销售额",
        )
    ),
)
