"""What users read for each KPI field: Chinese (default) and English labels, from metrics.md §3."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "agent_id": ("客服", "agent"),
    "name": ("姓名", "name"),
    "role": ("岗位", "role"),
    "consulted_buyers": ("咨询人数", "consulted buyers"),
    "served_buyers": ("接待人数", "served buyers"),
    "reply_rate": ("回复率", "reply rate"),
    "inquiring_buyers": ("询单人数", "inquiring buyers"),
    "paying_buyers": ("最终付款人数", "paying buyers"),
    "conversion_rate": ("询单→最终付款转化率", "inquiry conversion"),
    "orders": ("落实订单数", "credited orders"),
    "sales_fen": ("客服销售额", "sales"),
    "refund_fen": ("退款额", "refunds"),
    "net_sales_fen": ("净销售额", "net sales"),
    "avg_spend_fen": ("客单价", "spend per buyer"),
    "items_per_buyer": ("客件数", "items per buyer"),
    "new_buyer_sales_fen": ("新客销售额", "new-buyer sales"),
    "returning_buyer_sales_fen": ("老客销售额", "returning-buyer sales"),
    "new_buyer_net_sales_fen": ("新客净销售额", "new-buyer net sales"),
    "returning_buyer_net_sales_fen": ("老客净销售额", "returning-buyer net sales"),
    "returning_buyer_share": ("老客占比", "returning-buyer share"),
    "returning_paying_buyers": ("老客付款人数", "returning paying buyers"),
    "repurchase_rate": ("复购率", "repurchase rate"),
    "repurchasing_buyers": ("复购人数", "repurchasing buyers"),
    "good_review_rate": ("好评率", "good-review rate"),
    "bad_review_rate": ("差评率", "bad-review rate"),
    "reviews": ("评价数", "reviews"),
    "good_reviews": ("好评数", "good reviews"),
    "bad_reviews": ("差评数", "bad reviews"),
    "first_response_s": ("平均首次响应时间(秒)", "first response (s)"),
    "avg_response_s": ("平均响应时间(秒)", "average response (s)"),
    "answer_ratio": ("答问比", "answer ratio"),
    "typing_cpm": ("打字速度(字/分)", "typing speed (chars/min)"),
    "sessions": ("会话数", "sessions"),
    "receptions": ("接待会话数", "receptions"),
    "unanswered_sessions": ("未回复会话数", "unanswered sessions"),
    "buyer_messages": ("买家消息数", "buyer messages"),
    "agent_messages": ("客服消息数", "agent messages"),
    "first_response_sessions": ("首响会话数", "first-response sessions"),
    "first_response_total_s": ("首响总秒数", "first-response total (s)"),
    "answered_turns": ("已回复轮次", "answered turns"),
    "response_total_s": ("响应总秒数", "response total (s)"),
    "slow_turns": ("慢响应轮次", "slow turns"),
    "typing_chars": ("打字字数", "typed chars"),
    "typing_seconds": ("打字秒数", "typing seconds"),
    "items": ("件数", "items"),
    "silent_orders": ("静默下单数", "silent orders"),
    "silent_sales_fen": ("静默销售额", "silent sales"),
    "silent_share": ("静默销售占比", "silent share"),
    "unattributable_orders": ("无买家订单数", "unattributable orders"),
    "unattributable_sales_fen": ("无买家销售额", "unattributable sales"),
    "team": ("团队", "team"),
    "presale": ("售前", "presale"),
    "aftersale": ("售后", "aftersale"),
}


def label(key: str, lang: str = "zh") -> str:
    zh, en = LABELS.get(key, (key, key))
    return en if lang == "en" else zh


def yuan(fen: int | None) -> str:
    """Fen shown as yuan with two decimals, exactly (no float on the way)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(int(fen)), 100)
    return f"{sign}{q:,}.{r:02d}"
