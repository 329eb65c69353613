"""One chat session of the demo shop, message by message, timed by reading and typing speed."""

from __future__ import annotations

import random

from kefu.demo import texts as tx
from kefu.demo.texts import between, pick
from kefu.demo.story import AgentSpec

# A message: (seconds since the story's first day, buyer_id, agent_id, sender, text).
Message = tuple[int, str, str, str, str]


class Talk:
    """Writes one session into `out`, keeping its clock; every gap stays far below 30 minutes."""

    __slots__ = ("agent", "buyer", "buyer_cpm", "fill", "out", "rng", "spec", "t")

    def __init__(
        self,
        rng: random.Random,
        spec: AgentSpec,
        agent: str,
        buyer: str,
        start: int,
        out: list[Message],
        fill: dict[str, str],
    ) -> None:
        self.rng, self.spec, self.agent, self.buyer = rng, spec, agent, buyer
        self.t, self.out, self.fill = start, out, fill
        self.buyer_cpm = rng.uniform(70.0, 160.0)

    def buyer_says(self, template: str, *, first: bool = False) -> None:
        text = template.format(**self.fill) if "{" in template else template
        if not first:
            self.t += round(3.0 + 22.0 * self.rng.random() + len(text) * 60.0 / self.buyer_cpm)
        self.out.append((self.t, self.buyer, self.agent, "buyer", text))

    def auto(self, text: str) -> None:
        self.t += 1
        self.out.append((self.t, self.buyer, self.agent, "auto", text))

    def agent_says(self, template: str, *, reply: bool) -> None:
        """`reply`: the first message of an answer to the buyer (it waits for the agent)."""
        text = template.format(**self.fill) if "{" in template else template
        low, high = self.spec.reaction_s if reply else (2, 5)
        rand = self.rng.random
        typing = len(text) * 60.0 / self.spec.cpm * (0.85 + 0.35 * rand())
        self.t += max(2, round(low + (high - low) * rand() + typing))
        self.out.append((self.t, self.buyer, self.agent, "agent", text))


def _answer(talk: Talk, topic: int, *, first: bool) -> None:
    """The agent answers a question on `topic` in one to three messages."""
    rng, spec = talk.rng, talk.spec
    _, warm, curt = tx.TOPICS[topic]
    if spec.style == "curt":
        if first and rng.random() < 0.3:
            talk.agent_says(pick(rng, tx.CURT_GREETINGS), reply=True)
            talk.agent_says(pick(rng, curt), reply=False)
        else:
            talk.agent_says(pick(rng, curt if rng.random() < 0.55 else warm), reply=True)
        return
    reply = True
    if first and rng.random() < 0.45:
        talk.agent_says(pick(rng, tx.GREETINGS), reply=True)
        reply = False
    talk.agent_says(pick(rng, warm), reply=reply)
    if rng.random() < 0.3:
        talk.agent_says(pick(rng, warm), reply=False)


def presale(
    talk: Talk, *, converting: bool, auto: bool, follow_up: bool = False
) -> tuple[int | None, int]:
    """A pre-sale conversation; returns (when the buyer places the order, or None; last message)."""
    rng, spec = talk.rng, talk.spec
    r = rng.random()
    count = 1 if r < 0.35 else 2 if r < 0.7 else 3 if r < 0.9 else 4
    first_topic = int(rng.random() * len(tx.TOPICS))
    topics = [(first_topic + 3 * n) % len(tx.TOPICS) for n in range(count)]
    if follow_up:
        talk.buyer_says(pick(rng, tx.FOLLOW_UPS), first=True)
        if auto:
            talk.auto(pick(rng, tx.AUTO_BUSY))
        _answer(talk, topics[0], first=True)
        topics = topics[1:2]
        first = False
    else:
        opening = rng.random()
        if opening < 0.2:
            talk.buyer_says(pick(rng, tx.OPENINGS), first=True)
            if auto:
                talk.auto(pick(rng, tx.AUTO_BUSY))
            talk.agent_says(
                pick(rng, tx.CURT_GREETINGS if spec.style == "curt" else tx.GREETINGS), reply=True
            )
            talk.buyer_says(pick(rng, tx.TOPICS[topics[0]][0]))
        else:
            if opening < 0.45:
                talk.buyer_says(
                    f"https://item.taobao.com/item.htm?id={between(rng, 10**11, 10**12)}",
                    first=True,
                )
                talk.buyer_says(pick(rng, tx.TOPICS[topics[0]][0]))
            else:
                talk.buyer_says(pick(rng, tx.TOPICS[topics[0]][0]), first=True)
            if auto:
                talk.auto(pick(rng, tx.AUTO_BUSY))
        first = opening >= 0.2
    for n, topic in enumerate(topics):
        if n or follow_up:
            if rng.random() < 0.25:
                talk.buyer_says(pick(rng, tx.BUYER_NODS))
            talk.buyer_says(pick(rng, tx.TOPICS[topic][0]))
        if rng.random() < 0.15:
            talk.buyer_says(pick(rng, tx.TOPICS[topic][0]))  # a second question before any answer
        _answer(talk, topic, first=first and n == 0)
        if spec.style == "upsell" and n == 0 and rng.random() < 0.7:
            talk.agent_says(pick(rng, tx.UPSELLS), reply=False)
            talk.buyer_says(pick(rng, tx.UPSELL_YES if converting else tx.UPSELL_NO))
            talk.agent_says(pick(rng, tx.THANKS_BUY[2:] + tx.CURT_THANKS), reply=True)
    if converting:
        talk.buyer_says(pick(rng, tx.BUY_NOW))
        talk.agent_says(
            pick(rng, tx.CURT_THANKS if spec.style == "curt" else tx.THANKS_BUY), reply=True
        )
        if rng.random() < 0.25:  # the order is placed while the chat goes on
            ordered = talk.t + between(rng, 40, 150)
            talk.t = ordered + between(rng, 10, 40)
            talk.buyer_says(pick(rng, tx.BUY_DONE), first=True)
            talk.agent_says("好的亲，已经看到您的订单啦～", reply=True)
            return ordered, talk.t
        return talk.t + between(rng, 30, 1500), talk.t
    if rng.random() < 0.6:
        talk.buyer_says(pick(rng, tx.NOT_NOW))
        if rng.random() < 0.6:
            talk.agent_says(
                pick(rng, tx.CURT_THANKS if spec.style == "curt" else tx.BYE), reply=True
            )
    return None, talk.t


def unanswered_night(talk: Talk) -> int:
    """A buyer writes in the night and only the automatic reply answers; returns the last time."""
    talk.buyer_says(pick(talk.rng, tx.NIGHT_ASKS), first=True)
    talk.auto(tx.AUTO_NIGHT)
    if talk.rng.random() < 0.4:
        talk.buyer_says(pick(talk.rng, tx.OPENINGS))
    return talk.t


def aftersale(talk: Talk, *, returns: bool, auto: bool) -> int:
    """An after-sale conversation about logistics or a return; returns the last message time."""
    rng = talk.rng
    asks, answers, closings = tx.AFTERSALE_RETURNS if returns else tx.AFTERSALE_LOGISTICS
    talk.buyer_says(pick(rng, asks), first=True)
    if rng.random() < 0.3:
        talk.buyer_says(pick(rng, asks))
    if auto:
        talk.auto(pick(rng, tx.AUTO_BUSY))
    talk.agent_says(answers[0], reply=True)
    talk.agent_says(pick(rng, answers[1:]), reply=False)
    if returns:
        talk.buyer_says(closings[0])
        talk.agent_says(pick(rng, answers[1:]), reply=True)
    talk.buyer_says(pick(rng, closings[1:]))
    if rng.random() < 0.5:
        talk.agent_says("不客气亲，有问题随时联系我们～", reply=True)
    return talk.t
