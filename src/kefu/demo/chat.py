"""One chat session of the demo shop, message by message, timed by reading and typing speed."""

from __future__ import annotations

import random

from kefu.demo import texts as tx
from kefu.demo.story import AgentSpec
from kefu.demo.texts import between, pick

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


def _answer(talk: Talk, qa: tx.QA, *, greet: bool, reply: bool = True) -> None:
    """The agent answers one question: a warm answer sentence by sentence, or a curt one."""
    rng = talk.rng
    _, warm, curt = qa
    if talk.spec.style == "curt" and rng.random() < 0.55:
        if greet and rng.random() < 0.3:
            talk.agent_says(pick(rng, tx.CURT_GREETINGS), reply=reply)
            reply = False
        talk.agent_says(curt, reply=reply)
        return
    if greet and rng.random() < 0.45:
        talk.agent_says(pick(rng, tx.GREETINGS), reply=reply)
        reply = False
    for sentence in warm:
        talk.agent_says(sentence, reply=reply)
        reply = False


def _ask(talk: Talk, topic: int, *, first: bool = False) -> tx.QA:
    qa = pick(talk.rng, tx.TOPICS[topic])
    talk.buyer_says(qa[0], first=first)
    return qa


def presale(
    talk: Talk, *, converting: bool, auto: bool, follow_up: bool = False
) -> tuple[int | None, int]:
    """A pre-sale conversation; returns (when the buyer places the order, or None; last message)."""
    rng, spec = talk.rng, talk.spec
    r = rng.random()
    count = 1 if r < 0.35 else 2 if r < 0.7 else 3 if r < 0.9 else 4
    first_topic = int(rng.random() * len(tx.TOPICS))
    topics = [(first_topic + 3 * n) % len(tx.TOPICS) for n in range(count)]
    greet = not follow_up
    opening = rng.random()
    if follow_up:  # back after an hour or two
        talk.buyer_says(pick(rng, tx.FOLLOW_UPS), first=True)
        qa = None
    elif opening < 0.2:  # "在吗" first, the question after the agent's hello
        talk.buyer_says(pick(rng, tx.OPENINGS), first=True)
        if auto:
            talk.auto(pick(rng, tx.AUTO_BUSY))
            auto = False
        talk.agent_says(
            pick(rng, tx.CURT_GREETINGS if spec.style == "curt" else tx.GREETINGS), reply=True
        )
        greet = False
        qa = _ask(talk, topics[0])
    elif opening < 0.45:  # the product link, then the question
        talk.buyer_says(
            f"https://item.taobao.com/item.htm?id={between(rng, 10**11, 10**12)}", first=True
        )
        qa = _ask(talk, topics[0])
    else:
        qa = _ask(talk, topics[0], first=True)
    if auto:
        talk.auto(pick(rng, tx.AUTO_BUSY))
    for n, topic in enumerate(topics):
        if qa is None or n:
            if n and rng.random() < 0.25:
                talk.buyer_says(pick(rng, tx.BUYER_NODS))
            qa = _ask(talk, topic)
        second = _ask(talk, topic) if rng.random() < 0.15 else None  # asks twice in a row
        _answer(talk, qa, greet=greet and n == 0)
        if second is not None and second is not qa:
            _answer(talk, second, greet=False, reply=False)
        if spec.style == "upsell" and n == 0 and rng.random() < 0.7:
            talk.agent_says(pick(rng, tx.UPSELLS), reply=False)
            talk.buyer_says(pick(rng, tx.UPSELL_YES if converting else tx.UPSELL_NO))
            ack = tx.UPSELL_YES_ACK if converting else tx.UPSELL_NO_ACK
            talk.agent_says(pick(rng, ack), reply=True)
        elif spec.style != "curt" and rng.random() < 0.1:
            talk.agent_says(pick(rng, tx.ANYTHING_ELSE), reply=False)
    if converting:
        talk.buyer_says(pick(rng, tx.BUY_NOW))
        thanks = tx.CURT_THANKS if spec.style == "curt" else tx.THANKS_BUY
        talk.agent_says(pick(rng, thanks), reply=True)
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
            bye = tx.CURT_THANKS if spec.style == "curt" else tx.BYE
            talk.agent_says(pick(rng, bye), reply=True)
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
    resolution = None
    if returns:
        ask, first, resolution = pick(rng, tx.AFTERSALE_RETURNS)
        answers: tuple[str, ...] = (first,)
    else:
        ask, answers = pick(rng, tx.AFTERSALE_LOGISTICS)
    talk.buyer_says(ask, first=True)
    if rng.random() < 0.3:
        talk.buyer_says(pick(rng, tx.OPENINGS))  # a nudge while nobody answers
    if auto:
        talk.auto(pick(rng, tx.AUTO_BUSY))
    for n, answer in enumerate(answers):
        talk.agent_says(answer, reply=n == 0)
    if resolution is not None:
        talk.buyer_says(pick(rng, tx.AFTERSALE_REPLIES))
        talk.agent_says(resolution, reply=True)
    talk.buyer_says(pick(rng, tx.AFTERSALE_CLOSINGS))
    if rng.random() < 0.5:
        talk.agent_says(tx.AFTERSALE_BYE, reply=True)
    return talk.t
