"""京东 客服绩效: the fields known from a team summary sheet and one 自营 importer; others refused."""

from __future__ import annotations

from kefu.io.reports.columns import columns, names
from kefu.io.reports.model import ReportSpec

SPEC = ReportSpec(
    source="jd",
    label_zh="京东 客服绩效",
    label_en="JD (京东) agent performance",
    agent_columns=names("客服", "客服账号", "客服ID"),
    columns=columns(
        ("咨询量", "consultations", "count"),
        ("登录时长", "online_s", "seconds"),
        ("接待时长", "reception_s", "seconds"),
        ("30s应答率", "response_30s_rate", "rate"),
        ("首次30秒应答率", "response_30s_rate", "rate"),
        ("满意率", "satisfaction_rate", "rate"),
        ("24小时下单金额", "ordered_sales_fen", "fen"),
        ("24小时下单转化率", "order_conversion_rate", "rate"),
        ("售前接待人数", "served_buyers", "count"),
        ("下单人数", "ordering_buyers", "count"),
        ("出库人数", "shipped_buyers", "count"),
        ("咨询→下单转化率", "order_conversion_rate", "rate"),
        ("咨询→出库转化率", "shipment_conversion_rate", "rate"),
        ("平均响应时长", "avg_response_s", "mean_s"),
    ),
    signature=frozenset(
        names(
            "咨询量",
            "登录时长",
            "30s应答率",
            "首次30秒应答率",
            "24小时下单金额",
            "24小时下单转化率",
            "售前接待人数",
            "出库人数",
            "咨询→下单转化率",
            "咨询→出库转化率",
        )
    ),
    strict=True,
)
