"""Who may do what: the one authorisation decision of the web workplace.

Every route names an action and the resource it touches; `allowed(user, action, resource)` is
the only place that answers. Pages never decide access by hiding a link: a link that is
shown to the wrong person still leads to a 403. tests/test_web_access.py walks every route of
the app against every role, so a new route without a rule fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.store.people import User

# action → what it means (the docs' table is generated from this; see docs/security.md)
ACTIONS: dict[str, str] = {
    "home": "see the start page (any signed-in user)",
    "shop.team": "a shop-month's pooled team figures, without other agents' names",
    "shop.agents": "a shop-month with every agent's figures, diagnosis and report",
    "agent.view": "one agent's months, verdicts and evidence",
    "order.explain": "why an order was credited to an agent, or silent",
    "payslip.view": "one agent's payslip from an approved payroll run",
    "import": "import a shop's export files, see the import history and quarantine",
    "settings.edit": "see and change the shop's metric options and diagnosis thresholds",
    "pay.view": "the shop's pay: plans, what-ifs, payroll runs and their diffs",
    "pay.draft": "draft a payroll run",
    "pay.approve": "approve a drafted payroll run",
    "question.raise": "question a payslip line or an order's credit",
    "question.view": "read a question thread",
    "question.answer": "answer questions",
    "users.manage": "add, disable and change users",
    "voice.view": "the voice of the buyer: topics, lost-sale reasons, rising words (buyers' words)",
}


@dataclass(frozen=True)
class Resource:
    """What an action touches. Fields that do not apply stay None."""

    shop_id: str | None = None
    # whose figures: a seat or a person for owners and managers; for an agent's account, the
    # person the figures belong to (an agent's figures are per person, kefu.metrics.people)
    agent_id: str | None = None
    month: str | None = None  # the month the figures are of, when the route names one
    drafted_by: str | None = None  # pay.approve: who drafted the run
    self_approval: bool = False  # pay.approve: the shop allows the drafter to approve


def allowed(user: User | None, action: str, resource: Resource | None = None) -> bool:
    """Whether `user` may do `action` on `resource`. Unknown actions are refused."""
    if user is None or user.disabled or action not in ACTIONS:
        return False
    r = resource or Resource()
    if action == "home":
        return True
    if action == "users.manage":
        return user.role == "owner"
    if r.shop_id is None:
        return False
    manages = user.role == "owner" or (user.role == "manager" and r.shop_id in user.shops)
    # an agent's own: a person the account is, who held a seat of the shop (in the month)
    own_seat = (
        user.role == "agent"
        and r.agent_id is not None
        and r.agent_id in user.holders_in(r.shop_id, r.month)
    )
    if action in (
        "shop.agents",
        "import",
        "settings.edit",
        "pay.view",
        "pay.draft",
        "question.answer",
        "voice.view",
    ):
        return manages
    if action == "pay.approve":
        if user.role != "owner":
            return False
        return r.drafted_by != user.name or r.self_approval
    if action == "shop.team":
        return manages or (user.role == "agent" and r.shop_id in user.shops_held())
    if action in ("agent.view", "order.explain", "payslip.view", "question.view"):
        return manages or own_seat
    if action == "question.raise":
        return own_seat
    return False
