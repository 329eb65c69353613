"""The statistics of the voice of the buyer: smoothed lift, and log-odds with an informative prior."""

from __future__ import annotations

import math

# Lift: a Beta(1, 1) prior on each share (add one to the count, two to the total), so a topic
# seen once among few inquiries does not get an infinite or zero lift.
LIFT_PRIOR = 1.0
# Fightin' Words: the prior's total weight, in messages, spread over the terms in proportion to
# their share of both periods together (Monroe, Colaresi & Quinn 2008, §3.5).
PRIOR_WEIGHT = 1000.0


def lift(lost: int, lost_total: int, converted: int, converted_total: int) -> float:
    """Share of lost inquiries with a topic ÷ share of converted ones, each smoothed."""
    a = LIFT_PRIOR
    share_lost = (lost + a) / (lost_total + 2 * a)
    share_conv = (converted + a) / (converted_total + 2 * a)
    return share_lost / share_conv


def log_odds_z(
    count: int, total: int, before: int, before_total: int, prior_weight: float = PRIOR_WEIGHT
) -> float:
    """z-score of the log-odds ratio of a term between now and before, informative Dirichlet prior.

    The prior of the term is `prior_weight` × its share of both periods pooled; the variance
    is the usual approximation 1/(y_now + α_w) + 1/(y_before + α_w).
    """
    pooled = (count + before) / (total + before_total)
    alpha_w = prior_weight * pooled
    a0 = prior_weight
    now = math.log((count + alpha_w) / (total + a0 - count - alpha_w))
    then = math.log((before + alpha_w) / (before_total + a0 - before - alpha_w))
    var = 1.0 / (count + alpha_w) + 1.0 / (before + alpha_w)
    return (now - then) / math.sqrt(var)
