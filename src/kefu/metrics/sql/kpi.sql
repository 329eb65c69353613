-- kefu metric steps (metrics.md §2–§3), written once in DuckDB SQL; Spark runs the same text
-- transpiled by sqlglot (docs/engines.md). Each `-- step:` is materialised as a table named
-- after it. Time arithmetic is done on whole epoch seconds (`*_s` columns of the inputs) so
-- that no engine-specific date function decides a boundary: a day is `s // 86400` (times
-- are shop-local and stored without a zone, so the epoch of a local time is aligned to the
-- local calendar day).
--
-- Inputs (prepared by the runner): in_agents, in_messages (+ sent_s), in_orders (+ created_s,
-- paid_s), in_reviews, in_service_evals (Taobao 服务评价: agent, buyer, evaluated_at, eval_code
-- 0–4, eval_source), in_order_items (order lines: product, merchant code, line_fen), cfg (one row of settings per shop), ignored (shop_id, account),
-- req_months (month, first_day, last_day, and first_s / end_s: epoch seconds of its first day
-- and of the day after its last).

-- step: pairs
-- Every buyer–agent pair of non-ignored accounts among the messages read, numbered: the
-- steps that follow split, join and group on this one integer instead of three texts. The
-- number is unique across shops (shop number × 2³², then the pair's rank in its shop) and
-- the pair carries its shop's session gap and slow-answer threshold; `buyer_no` numbers
-- the buyer within the shop (for counting distinct buyers).
SELECT m.shop_id, m.buyer_id, m.agent_id,
       k.shop_no * 4294967296
           + ROW_NUMBER() OVER (PARTITION BY m.shop_id ORDER BY m.buyer_id, m.agent_id) AS pair,
       DENSE_RANK() OVER (PARTITION BY m.shop_id ORDER BY m.buyer_id) AS buyer_no,
       k.gap_s, k.slow_s
FROM (SELECT DISTINCT shop_id, buyer_id, agent_id FROM in_messages) m
JOIN (SELECT shop_id, gap_s, slow_s, ROW_NUMBER() OVER (ORDER BY shop_id) AS shop_no FROM cfg) k
  ON k.shop_id = m.shop_id
LEFT JOIN ignored ia ON ia.shop_id = m.shop_id AND ia.account = m.agent_id
LEFT JOIN ignored ib ON ib.shop_id = m.shop_id AND ib.account = m.buyer_id
WHERE ia.account IS NULL AND ib.account IS NULL

-- step: msg
-- The pairs' messages in session order, split into sessions where the gap to the previous
-- message of the pair exceeds session_gap_minutes. Messages of a pair sent in the same
-- second by the same side (`kind`: 0 buyer, 1 auto, 2 agent; at equal times buyer, auto,
-- then agent) are one row with their count `n`: nothing but their order by text told them
-- apart, and of them only the first in text order can follow a pause, so the row keeps its
-- `chars` (typing speed). `agent_idx` numbers the pair's agent rows: the buyer rows that
-- share it form one turn (auto messages do not break it), and the agent row numbered one
-- higher, in the same session, answers it.
SELECT g.pair, g.sent_at, g.sent_s, g.kind, g.n, g.chars,
       CASE WHEN g.is_start = 1 THEN NULL ELSE g.gap_s END AS gap_in_session_s,
       SUM(g.is_start) OVER wp AS session_no,
       SUM(CASE WHEN g.kind = 2 THEN 1 ELSE 0 END) OVER wp AS agent_idx
FROM (
    SELECT x.pair, x.sent_at, x.sent_s, x.kind, x.n, x.chars,
           x.sent_s - LAG(x.sent_s) OVER w AS gap_s,
           CASE WHEN LAG(x.sent_s) OVER w IS NULL OR x.sent_s - LAG(x.sent_s) OVER w > x.gap_limit_s
                THEN 1 ELSE 0 END AS is_start
    FROM (
        SELECT p.pair, p.gap_s AS gap_limit_s, m.sent_s,
               CASE m.sender WHEN 'buyer' THEN 0 WHEN 'auto' THEN 1 ELSE 2 END AS kind,
               MIN(m.sent_at) AS sent_at, COUNT(*) AS n, MIN_BY(m.chars, m.text) AS chars
        FROM in_messages m
        JOIN pairs p ON p.shop_id = m.shop_id AND p.buyer_id = m.buyer_id AND p.agent_id = m.agent_id
        GROUP BY p.pair, p.gap_s, m.sent_s, CASE m.sender WHEN 'buyer' THEN 0 WHEN 'auto' THEN 1 ELSE 2 END
    ) x
    WINDOW w AS (PARTITION BY x.pair ORDER BY x.sent_s, x.kind)
) g
WINDOW wp AS (
    PARTITION BY g.pair ORDER BY g.sent_s, g.kind
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
)

-- step: turns
-- Answered buyer turns per session. A session is a reception exactly when it has one: an
-- agent message follows a buyer message. Its first turn begins at the first buyer message,
-- and the earliest answer answers it (a turn left unanswered has no agent message after it,
-- so no later turn exists), which gives the first response time.
SELECT t.pair, t.session_no,
       COUNT(*) AS answered_turns,
       SUM(a.sent_s - t.start_s) AS response_total_s,
       SUM(CASE WHEN a.sent_s - t.start_s > p.slow_s THEN 1 ELSE 0 END) AS slow_turns,
       MIN(t.start_s) AS first_buyer_s,
       MIN(a.sent_s) AS first_answer_s
FROM (
    SELECT pair, session_no, agent_idx, MIN(sent_s) AS start_s
    FROM msg
    WHERE kind = 0
    GROUP BY pair, session_no, agent_idx
) t
JOIN msg a
  ON a.pair = t.pair AND a.agent_idx = t.agent_idx + 1 AND a.session_no = t.session_no
 AND a.kind = 2
JOIN pairs p ON p.pair = t.pair
GROUP BY t.pair, t.session_no

-- step: sess
-- Sessions with their month (of their first message), reception, after-sale, off-hours
-- and response figures.
WITH b AS (
    SELECT m.pair, m.session_no,
           MIN(m.sent_at) AS start_at,
           MIN(m.sent_s) AS start_s,
           MAX(m.sent_s) AS end_s,
           (MIN(m.sent_s) % 86400) // 60 AS start_minute,
           MAX(CASE WHEN m.kind = 0 THEN 1 ELSE 0 END) AS has_buyer,
           SUM(CASE WHEN m.kind = 0 THEN m.n ELSE 0 END) AS buyer_messages,
           SUM(CASE WHEN m.kind = 2 THEN m.n ELSE 0 END) AS agent_messages,
           SUM(CASE WHEN m.kind = 2 AND m.gap_in_session_s BETWEEN 2 AND 120
                    THEN m.chars ELSE 0 END) AS typing_chars,
           SUM(CASE WHEN m.kind = 2 AND m.gap_in_session_s BETWEEN 2 AND 120
                    THEN m.gap_in_session_s ELSE 0 END) AS typing_seconds
    FROM msg m
    GROUP BY m.pair, m.session_no
)
SELECT s.*,
       s.is_reception = 1 AND s.is_aftersale = 0 AS is_inquiry
FROM (
    SELECT p.shop_id, p.buyer_id, p.agent_id, b.pair, p.buyer_no, b.session_no, b.start_at,
           STRFTIME(b.start_at, '%Y-%m') AS month, b.start_s,
           b.end_s, b.start_minute, b.has_buyer, b.buyer_messages, b.agent_messages,
           b.typing_chars, b.typing_seconds,
           CASE WHEN t.answered_turns IS NULL THEN 0 ELSE 1 END AS is_reception,
           CASE WHEN COALESCE(a.role, 'presale') = 'aftersale' OR lb.pair IS NOT NULL
                THEN 1 ELSE 0 END AS is_aftersale,
           CASE WHEN c.off_start IS NULL THEN 0
                WHEN c.off_start < c.off_end
                     THEN CASE WHEN b.start_minute >= c.off_start AND b.start_minute < c.off_end
                               THEN 1 ELSE 0 END
                ELSE CASE WHEN b.start_minute >= c.off_start OR b.start_minute < c.off_end
                          THEN 1 ELSE 0 END
           END AS is_off_hours,
           t.first_buyer_s,
           t.first_answer_s,
           COALESCE(t.answered_turns, 0) AS answered_turns,
           COALESCE(t.response_total_s, 0) AS response_total_s,
           COALESCE(t.slow_turns, 0) AS slow_turns
    FROM b
    JOIN pairs p ON p.pair = b.pair
    JOIN cfg c ON c.shop_id = p.shop_id
    LEFT JOIN in_agents a ON a.shop_id = p.shop_id AND a.agent_id = p.agent_id
    LEFT JOIN turns t ON t.pair = b.pair AND t.session_no = b.session_no
    LEFT JOIN (
        -- sessions whose buyer paid an order in the shop within the lookback before they began
        SELECT DISTINCT x.pair, x.session_no
        FROM b x
        JOIN pairs p2 ON p2.pair = x.pair
        JOIN cfg c2 ON c2.shop_id = p2.shop_id
        JOIN in_orders o ON o.shop_id = p2.shop_id AND o.buyer_id = p2.buyer_id
        WHERE o.paid_s >= x.start_s - c2.lookback_s AND o.paid_s < x.start_s
    ) lb
        ON lb.pair = b.pair AND lb.session_no = b.session_no
) s

-- step: paid_orders
-- Paid orders of known, non-ignored buyers: the orders that are credited or silent.
SELECT o.shop_id, o.order_id, o.buyer_id, o.created_at, o.created_s, o.paid_s, o.amount_fen,
       o.refund_fen, o.items, c.rule, c.attribution_days
FROM in_orders o
JOIN cfg c ON c.shop_id = o.shop_id
LEFT JOIN ignored ib ON ib.shop_id = o.shop_id AND ib.account = o.buyer_id
WHERE o.paid_s IS NOT NULL AND o.buyer_id IS NOT NULL AND ib.account IS NULL
  -- only orders the computed window can decide (see docs/engines.md, time window)
  AND ((o.created_s >= c.w_start_s AND o.created_s < c.w_end_s)
       OR (o.paid_s >= c.w_start_s AND o.paid_s < c.w_end_s))

-- step: contacts
-- Agent messages of pre-sale inquiries: the contacts an order can be credited to, of the
-- buyers with a paid order (no other contact decides anything). One row per pair and
-- second (a second belongs to one session of its pair).
SELECT s.shop_id, s.buyer_id, s.agent_id, m.sent_s, s.session_no, s.start_s, s.month
FROM msg m
JOIN sess s ON s.pair = m.pair AND s.session_no = m.session_no
SEMI JOIN (SELECT DISTINCT shop_id, buyer_id FROM paid_orders) b
  ON b.shop_id = s.shop_id AND b.buyer_id = s.buyer_id
WHERE m.kind = 2 AND s.is_inquiry

-- step: agent_rank
-- Agents ranked by id within the shop (code-point order): the tie-break of attribution.
SELECT shop_id, agent_id, DENSE_RANK() OVER (PARTITION BY shop_id ORDER BY agent_id) AS rnk
FROM (SELECT DISTINCT shop_id, agent_id FROM contacts) a

-- step: last_contact
-- For each paid order and reference time (created_at, or paid_at for the `paid` rule and the
-- second try of `order_first`), the latest contact at or before it. A running MAX over
-- (time, reversed agent rank) packed into one integer gives the latest contact with ties to
-- the first agent id, identically on both engines (no IGNORE NULLS needed).
SELECT e.shop_id, e.order_id, e.ref, e.ref_s,
       e.best // 1048576 AS contact_s,
       1048575 - e.best % 1048576 AS contact_rnk
FROM (
    SELECT u.*,
           MAX(u.packed) OVER (
               PARTITION BY u.shop_id, u.buyer_id ORDER BY u.t, u.kind
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS best
    FROM (
        SELECT c.shop_id, c.buyer_id, c.sent_s AS t, 0 AS kind,
               c.sent_s * 1048576 + (1048575 - r.rnk) AS packed,
               CAST(NULL AS VARCHAR) AS order_id, CAST(NULL AS VARCHAR) AS ref,
               CAST(NULL AS BIGINT) AS ref_s
        FROM contacts c
        JOIN agent_rank r ON r.shop_id = c.shop_id AND r.agent_id = c.agent_id
        UNION ALL
        SELECT shop_id, buyer_id, created_s AS t, 1 AS kind, CAST(NULL AS BIGINT) AS packed,
               order_id, 'created' AS ref, created_s AS ref_s
        FROM paid_orders WHERE rule <> 'paid'
        UNION ALL
        SELECT shop_id, buyer_id, paid_s AS t, 1 AS kind, CAST(NULL AS BIGINT) AS packed,
               order_id, 'paid' AS ref, paid_s AS ref_s
        FROM paid_orders WHERE rule <> 'order'
    ) u
) e
WHERE e.kind = 1

-- step: attribution
-- Each paid order: credited to the latest contact's inquiry when within attribution_days
-- calendar days of it (order_first: the created_at try first, then the paid_at one), else
-- silent. No falling back to an older contact.
SELECT p.shop_id, p.order_id, p.buyer_id, p.created_at, p.created_s, p.paid_s, p.amount_fen,
       p.refund_fen, p.items, p.rule,
       CASE WHEN p.ok_c THEN 'created' WHEN p.ok_p THEN 'paid' END AS credited_by,
       ra.agent_id AS agent_id,
       ct.session_no, ct.start_s AS inquiry_start_s, ct.month AS inquiry_month,
       ra_c.agent_id AS last_agent_created, p.c_s AS last_contact_created_s,
       ra_p.agent_id AS last_agent_paid, p.p_s AS last_contact_paid_s
FROM (
    SELECT p.*,
           COALESCE(lc_c.ref_s // 86400 - lc_c.contact_s // 86400 <= p.attribution_days, FALSE)
               AS ok_c,
           COALESCE(lc_p.ref_s // 86400 - lc_p.contact_s // 86400 <= p.attribution_days, FALSE)
               AS ok_p,
           lc_c.contact_s AS c_s, lc_c.contact_rnk AS c_rnk,
           lc_p.contact_s AS p_s, lc_p.contact_rnk AS p_rnk
    FROM paid_orders p
    LEFT JOIN last_contact lc_c
      ON lc_c.shop_id = p.shop_id AND lc_c.order_id = p.order_id AND lc_c.ref = 'created'
    LEFT JOIN last_contact lc_p
      ON lc_p.shop_id = p.shop_id AND lc_p.order_id = p.order_id AND lc_p.ref = 'paid'
) p
LEFT JOIN agent_rank ra_c ON ra_c.shop_id = p.shop_id AND ra_c.rnk = p.c_rnk
LEFT JOIN agent_rank ra_p ON ra_p.shop_id = p.shop_id AND ra_p.rnk = p.p_rnk
LEFT JOIN agent_rank ra
  ON ra.shop_id = p.shop_id
 AND ra.rnk = CASE WHEN p.ok_c THEN p.c_rnk WHEN p.ok_p THEN p.p_rnk END
LEFT JOIN contacts ct
  ON ct.shop_id = p.shop_id AND ct.buyer_id = p.buyer_id AND ct.agent_id = ra.agent_id
 AND ct.sent_s = CASE WHEN p.ok_c THEN p.c_s WHEN p.ok_p THEN p.p_s END

-- step: first_paid
-- Each buyer's two earliest paid orders: enough to tell whether *another* order preceded.
SELECT shop_id, buyer_id,
       MAX(CASE WHEN k = 1 THEN order_id END) AS first_order_id,
       MAX(CASE WHEN k = 1 THEN paid_s END) AS first_paid_s,
       MAX(CASE WHEN k = 2 THEN paid_s END) AS second_paid_s
FROM (
    SELECT o.shop_id, o.buyer_id, o.order_id, o.paid_s,
           ROW_NUMBER() OVER (PARTITION BY o.shop_id, o.buyer_id ORDER BY o.paid_s, o.order_id) AS k
    FROM in_orders o
    -- only the buyers of credited orders are asked about
    SEMI JOIN (SELECT DISTINCT shop_id, buyer_id FROM attribution WHERE agent_id IS NOT NULL) b
      ON b.shop_id = o.shop_id AND b.buyer_id = o.buyer_id
    WHERE o.paid_s IS NOT NULL
) x
WHERE k <= 2
GROUP BY shop_id, buyer_id

-- step: credited
-- Credited orders with their buyer's status (returning: another order paid before the
-- crediting inquiry's first message) and reviews.
SELECT a.shop_id, a.order_id, a.buyer_id, a.agent_id, a.inquiry_month AS month,
       a.inquiry_start_s, a.paid_s, a.amount_fen, a.refund_fen, a.items,
       CASE WHEN fp.first_order_id <> a.order_id THEN fp.first_paid_s < a.inquiry_start_s
            ELSE COALESCE(fp.second_paid_s < a.inquiry_start_s, FALSE) END AS is_returning,
       CASE WHEN rv.rating IS NULL THEN 0 ELSE 1 END AS reviewed,
       CASE WHEN rv.rating = 'good' THEN 1 ELSE 0 END AS good,
       CASE WHEN rv.rating = 'bad' THEN 1 ELSE 0 END AS bad
FROM attribution a
JOIN first_paid fp ON fp.shop_id = a.shop_id AND fp.buyer_id = a.buyer_id
LEFT JOIN in_reviews rv ON rv.shop_id = a.shop_id AND rv.order_id = a.order_id
WHERE a.agent_id IS NOT NULL

-- step: agent_product_sales
-- Credited sales per agent-month by buyer kind and the order's main product (the product of
-- its largest line, ties to the smallest id; '' for an order without lines): what a pay plan
-- weighting sales by product stage reads (docs/pay.md). Sums over products give the
-- agent-month's new- and returning-buyer sales exactly.
SELECT c.shop_id, c.agent_id, c.month, COALESCE(m.product_id, '') AS product,
       c.is_returning,
       SUM(c.amount_fen) AS sales_fen,
       SUM(c.amount_fen - c.refund_fen) AS net_sales_fen
FROM credited c
LEFT JOIN (
    SELECT shop_id, order_id, product_id
    FROM (
        SELECT i.shop_id, i.order_id, i.product_id,
               ROW_NUMBER() OVER (
                   PARTITION BY i.shop_id, i.order_id ORDER BY i.line_fen DESC, i.product_id
               ) AS r
        FROM in_order_items i
    ) x
    WHERE r = 1
) m ON m.shop_id = c.shop_id AND m.order_id = c.order_id
GROUP BY c.shop_id, c.agent_id, c.month, COALESCE(m.product_id, ''), c.is_returning

-- step: repurchase
-- Paying buyers of an agent-month who paid another order within repurchase_days after t0,
-- t0 being their earliest paid_at among the orders credited to that agent-month.
SELECT b.shop_id, b.agent_id, b.month, COUNT(DISTINCT b.buyer_id) AS repurchasing_buyers
FROM (
    SELECT shop_id, agent_id, month, buyer_id, MIN(paid_s) AS t0
    FROM credited
    GROUP BY shop_id, agent_id, month, buyer_id
) b
JOIN cfg c ON c.shop_id = b.shop_id
JOIN in_orders o ON o.shop_id = b.shop_id AND o.buyer_id = b.buyer_id
WHERE o.paid_s > b.t0 AND o.paid_s <= b.t0 + c.repurchase_s
GROUP BY b.shop_id, b.agent_id, b.month

-- step: agent_sessions
-- Session figures per agent and month (the month of each session's first message).
SELECT s.shop_id, s.agent_id, s.month,
       COUNT(*) AS sessions,
       SUM(s.is_reception) AS receptions,
       SUM(CASE WHEN s.has_buyer = 1 AND s.is_reception = 0 THEN 1 ELSE 0 END) AS unanswered_sessions,
       COUNT(DISTINCT CASE WHEN s.has_buyer = 1 THEN s.buyer_no END) AS consulted_buyers,
       COUNT(DISTINCT CASE WHEN s.is_reception = 1 THEN s.buyer_no END) AS served_buyers,
       COUNT(DISTINCT CASE WHEN s.is_inquiry THEN s.buyer_no END) AS inquiring_buyers,
       SUM(s.buyer_messages) AS buyer_messages,
       SUM(s.agent_messages) AS agent_messages,
       SUM(CASE WHEN s.first_answer_s IS NOT NULL AND s.is_off_hours = 0 THEN 1 ELSE 0 END)
           AS first_response_sessions,
       SUM(CASE WHEN s.first_answer_s IS NOT NULL AND s.is_off_hours = 0
                THEN s.first_answer_s - s.first_buyer_s ELSE 0 END) AS first_response_total_s,
       SUM(CASE WHEN s.is_off_hours = 0 THEN s.answered_turns ELSE 0 END) AS answered_turns,
       SUM(CASE WHEN s.is_off_hours = 0 THEN s.response_total_s ELSE 0 END) AS response_total_s,
       SUM(CASE WHEN s.is_off_hours = 0 THEN s.slow_turns ELSE 0 END) AS slow_turns,
       SUM(s.typing_chars) AS typing_chars,
       SUM(s.typing_seconds) AS typing_seconds
FROM sess s
GROUP BY s.shop_id, s.agent_id, s.month

-- step: agent_sales
-- Credited-order figures per agent and the month of the crediting inquiry.
SELECT shop_id, agent_id, month,
       COUNT(DISTINCT buyer_id) AS paying_buyers,
       COUNT(DISTINCT CASE WHEN is_returning THEN buyer_id END) AS returning_paying_buyers,
       COUNT(*) AS orders,
       SUM(items) AS items,
       SUM(amount_fen) AS sales_fen,
       SUM(refund_fen) AS refund_fen,
       SUM(CASE WHEN is_returning THEN 0 ELSE amount_fen END) AS new_buyer_sales_fen,
       SUM(CASE WHEN is_returning THEN amount_fen ELSE 0 END) AS returning_buyer_sales_fen,
       SUM(CASE WHEN is_returning THEN 0 ELSE amount_fen - refund_fen END) AS new_buyer_net_sales_fen,
       SUM(CASE WHEN is_returning THEN amount_fen - refund_fen ELSE 0 END)
           AS returning_buyer_net_sales_fen,
       SUM(reviewed) AS reviews,
       SUM(good) AS good_reviews,
       SUM(bad) AS bad_reviews
FROM credited
GROUP BY shop_id, agent_id, month

-- step: agent_spread
-- Σ over paying buyers of (their credited sales with the agent in the month)²: the spread
-- of spend per buyer, for diagnosis's interval around 客单价.
SELECT shop_id, agent_id, month, SUM(spend * spend) AS sales_sq_fen
FROM (
    SELECT shop_id, agent_id, month, buyer_id, SUM(amount_fen) AS spend
    FROM credited
    GROUP BY shop_id, agent_id, month, buyer_id
) b
GROUP BY shop_id, agent_id, month

-- step: buyer_mix
-- Each inquiring buyer of an agent-month with what like-with-like comparison stratifies on
-- (docs/diagnosis.md, "Like with like"): the hour band of their first inquiry (night
-- 00–08, day 08–18, evening 18–24), the product they asked about (the smallest product id
-- whose id or merchant code — 4 or more letters, digits, '-' or '_' — is a word of their
-- messages of the month to the agent; '' when none is: chosen without looking at the
-- outcome, so conversion can be stratified on it), the product their credited orders led to (the product of
-- their largest order line; '' without lines) and what they paid (credited sales).
WITH inq AS (
    SELECT shop_id, agent_id, month, buyer_id, MIN(start_s) AS first_s
    FROM sess
    WHERE is_inquiry
    GROUP BY shop_id, agent_id, month, buyer_id
),
product_keys AS (
    SELECT DISTINCT shop_id, product_id, product_id AS product_key
    FROM in_order_items WHERE LENGTH(product_id) >= 4
    UNION
    SELECT DISTINCT shop_id, product_id, sku AS product_key
    FROM in_order_items WHERE sku IS NOT NULL AND LENGTH(sku) >= 4
),
asked AS (
    -- the buyer's words cut into runs of 4+ letters, digits, '-' or '_', matched exactly
    -- against the products' ids and merchant codes: an equi-join, not a scan of every text
    -- for every product
    SELECT t.shop_id, t.agent_id, t.month, t.buyer_id, MIN(k.product_id) AS product_id
    FROM (
        SELECT shop_id, agent_id, STRFTIME(sent_at, '%Y-%m') AS month, buyer_id,
               UNNEST(REGEXP_EXTRACT_ALL(text, '[A-Za-z0-9_-]{4,}')) AS token
        FROM in_messages
        WHERE sender = 'buyer'
    ) t
    JOIN product_keys k ON k.shop_id = t.shop_id AND k.product_key = t.token
    GROUP BY t.shop_id, t.agent_id, t.month, t.buyer_id
),
led AS (
    SELECT shop_id, agent_id, month, buyer_id, product_id
    FROM (
        SELECT c.shop_id, c.agent_id, c.month, c.buyer_id, i.product_id,
               ROW_NUMBER() OVER (
                   PARTITION BY c.shop_id, c.agent_id, c.month, c.buyer_id
                   ORDER BY i.line_fen DESC, i.product_id
               ) AS r
        FROM credited c
        JOIN in_order_items i ON i.shop_id = c.shop_id AND i.order_id = c.order_id
    ) x
    WHERE r = 1
),
spend AS (
    SELECT shop_id, agent_id, month, buyer_id, SUM(amount_fen) AS fen
    FROM credited
    GROUP BY shop_id, agent_id, month, buyer_id
)
SELECT q.shop_id, q.agent_id, q.month, q.buyer_id,
       CASE WHEN (q.first_s % 86400) // 3600 < 8 THEN 'night'
            WHEN (q.first_s % 86400) // 3600 < 18 THEN 'day'
            ELSE 'evening' END AS band,
       COALESCE(a.product_id, '') AS asked_product,
       COALESCE(l.product_id, '') AS led_product,
       CASE WHEN sp.fen IS NULL THEN 0 ELSE 1 END AS paid,
       COALESCE(sp.fen, 0) AS spend_fen
FROM inq q
LEFT JOIN asked a
  ON a.shop_id = q.shop_id AND a.agent_id = q.agent_id AND a.month = q.month AND a.buyer_id = q.buyer_id
LEFT JOIN led l
  ON l.shop_id = q.shop_id AND l.agent_id = q.agent_id AND l.month = q.month AND l.buyer_id = q.buyer_id
LEFT JOIN spend sp
  ON sp.shop_id = q.shop_id AND sp.agent_id = q.agent_id AND sp.month = q.month AND sp.buyer_id = q.buyer_id

-- step: agent_strata
-- The strata of each agent-month: conversion by (product asked about, hour band) over
-- inquiring buyers (n) and those who paid (k); 客单价 by (product led to, hour band) over
-- paying buyers (n) and their credited sales in fen (k).
SELECT shop_id, agent_id, month, 'conversion' AS measure, asked_product AS product, band,
       COUNT(*) AS n, SUM(paid) AS k
FROM buyer_mix
GROUP BY shop_id, agent_id, month, asked_product, band
UNION ALL
SELECT shop_id, agent_id, month, 'spend' AS measure, led_product AS product, band,
       COUNT(*) AS n, SUM(spend_fen) AS k
FROM buyer_mix
WHERE paid = 1
GROUP BY shop_id, agent_id, month, led_product, band

-- step: agent_assists
-- Assists (metrics.md §2): an order credited to one agent that another agent helped win — a
-- conversation transferred (转接) to the colleague who closed it, or a colleague following
-- up an order someone else won (催付). The assisting agent sent an agent message in one of
-- the buyer's pre-sale inquiries within attribution_days calendar days of the order's
-- reference time, either side (created_at, or paid_at when the order was credited by its
-- payment), and not after the payment. The credit stays with the one credited agent; each
-- assisting agent counts the order once, in the month the order is credited to.
SELECT x.shop_id, x.agent_id, x.month,
       COUNT(DISTINCT x.buyer_id) AS assisted_inquiries,
       COUNT(*) AS assisted_orders,
       SUM(x.amount_fen) AS assisted_sales_fen,
       SUM(x.amount_fen - x.refund_fen) AS assisted_net_sales_fen
FROM (
    SELECT DISTINCT a.shop_id, ct.agent_id, a.inquiry_month AS month, a.order_id, a.buyer_id,
           a.amount_fen, a.refund_fen
    FROM attribution a
    JOIN cfg c ON c.shop_id = a.shop_id
    JOIN contacts ct ON ct.shop_id = a.shop_id AND ct.buyer_id = a.buyer_id
    WHERE a.agent_id IS NOT NULL AND ct.agent_id <> a.agent_id AND ct.sent_s <= a.paid_s
      AND ct.sent_s // 86400
          >= (CASE WHEN a.credited_by = 'paid' THEN a.paid_s ELSE a.created_s END) // 86400
             - c.attribution_days
      AND ct.sent_s // 86400
          <= (CASE WHEN a.credited_by = 'paid' THEN a.paid_s ELSE a.created_s END) // 86400
             + c.attribution_days
) x
GROUP BY x.shop_id, x.agent_id, x.month

-- step: agent_evals
-- Taobao 服务评价 per agent and the month they were given (metrics.md §3): how many of each
-- level (eval_code 0 非常满意, 1 满意, 2 一般, 3 不满意, 4 非常不满意) and the satisfied ones
-- (0 or 1), the numerator of the satisfaction rate. Every source counts (客服邀评, 消费者自主评价,
-- 系统邀评); evaluations of ignored accounts (agent or buyer) count for nobody.
SELECT e.shop_id, e.agent_id, STRFTIME(e.evaluated_at, '%Y-%m') AS month,
       COUNT(*) AS evaluations,
       SUM(CASE WHEN e.eval_code = 0 THEN 1 ELSE 0 END) AS evaluations_very_satisfied,
       SUM(CASE WHEN e.eval_code = 1 THEN 1 ELSE 0 END) AS evaluations_satisfied,
       SUM(CASE WHEN e.eval_code = 2 THEN 1 ELSE 0 END) AS evaluations_neutral,
       SUM(CASE WHEN e.eval_code = 3 THEN 1 ELSE 0 END) AS evaluations_dissatisfied,
       SUM(CASE WHEN e.eval_code = 4 THEN 1 ELSE 0 END) AS evaluations_very_dissatisfied,
       SUM(CASE WHEN e.eval_code <= 1 THEN 1 ELSE 0 END) AS satisfied_evaluations
FROM in_service_evals e
JOIN cfg c ON c.shop_id = e.shop_id
LEFT JOIN ignored ia ON ia.shop_id = e.shop_id AND ia.account = e.agent_id
LEFT JOIN ignored ib ON ib.shop_id = e.shop_id AND ib.account = e.buyer_id
WHERE ia.account IS NULL AND ib.account IS NULL
GROUP BY e.shop_id, e.agent_id, STRFTIME(e.evaluated_at, '%Y-%m')

-- step: agent_activity
-- When agents worked: active clock hours and days, the busiest day's inquiries, and the
-- sessions begun in each hour of the day.
SELECT s.shop_id, s.agent_id, s.month,
       COUNT(DISTINCT s.start_s // 86400) AS session_days,
       {hour_columns}
FROM sess s
GROUP BY s.shop_id, s.agent_id, s.month

-- step: agent_hours
SELECT s.shop_id, s.agent_id, s.month,
       COUNT(DISTINCT m.sent_s // 3600) AS active_hours,
       COUNT(DISTINCT m.sent_s // 86400) AS active_days
FROM msg m
JOIN sess s ON s.pair = m.pair AND s.session_no = m.session_no
WHERE m.kind = 2
GROUP BY s.shop_id, s.agent_id, s.month

-- step: agent_peak
SELECT shop_id, agent_id, month, MAX(n) AS peak_day_inquiries
FROM (
    SELECT s.shop_id, s.agent_id, s.month, s.start_s // 86400 AS d,
           COUNT(DISTINCT s.buyer_no) AS n
    FROM sess s
    WHERE s.is_inquiry
    GROUP BY s.shop_id, s.agent_id, s.month, s.start_s // 86400
) x
GROUP BY shop_id, agent_id, month

-- step: agent_months
-- The agents listed for each requested month: every agent with a session in it, every agent
-- with an assist credited to it or a service evaluation given in it, and every agent employed
-- on at least one of its days.
SELECT DISTINCT shop_id, agent_id, month
FROM (
    SELECT a.shop_id, a.agent_id, a.month
    FROM agent_sessions a JOIN req_months r ON r.month = a.month
    UNION ALL
    -- an agent who assisted an order credited in the month, whatever month they chatted in
    SELECT a.shop_id, a.agent_id, a.month
    FROM agent_assists a JOIN req_months r ON r.month = a.month
    UNION ALL
    -- an agent rated by buyers in the month (Taobao 服务评价)
    SELECT a.shop_id, a.agent_id, a.month
    FROM agent_evals a JOIN req_months r ON r.month = a.month
    UNION ALL
    SELECT g.shop_id, g.agent_id, r.month
    FROM in_agents g
    JOIN req_months r
      ON (g.hired_on IS NULL OR g.hired_on <= r.last_day)
     AND (g.left_on IS NULL OR g.left_on >= r.first_day)
    JOIN cfg c ON c.shop_id = g.shop_id
    LEFT JOIN ignored ig ON ig.shop_id = g.shop_id AND ig.account = g.agent_id
    WHERE ig.account IS NULL
) x

-- step: shop_orders
-- Paid orders by the month they were created, for the months asked: all, silent, and
-- without a known buyer.
SELECT o.shop_id, r.month,
       SUM(CASE WHEN o.buyer_id IS NOT NULL THEN 1 ELSE 0 END) AS paid_orders,
       SUM(CASE WHEN o.buyer_id IS NOT NULL THEN o.amount_fen ELSE 0 END) AS paid_sales_fen,
       SUM(CASE WHEN o.buyer_id IS NOT NULL THEN o.amount_fen - o.refund_fen ELSE 0 END)
           AS paid_net_sales_fen,
       SUM(CASE WHEN o.buyer_id IS NOT NULL AND a.agent_id IS NULL THEN 1 ELSE 0 END) AS silent_orders,
       SUM(CASE WHEN o.buyer_id IS NOT NULL AND a.agent_id IS NULL THEN o.amount_fen ELSE 0 END)
           AS silent_sales_fen,
       SUM(CASE WHEN o.buyer_id IS NULL THEN 1 ELSE 0 END) AS unattributable_orders,
       SUM(CASE WHEN o.buyer_id IS NULL THEN o.amount_fen ELSE 0 END) AS unattributable_sales_fen
FROM in_orders o
JOIN req_months r ON o.created_s >= r.first_s AND o.created_s < r.end_s
LEFT JOIN ignored ib ON ib.shop_id = o.shop_id AND ib.account = o.buyer_id
LEFT JOIN attribution a ON a.shop_id = o.shop_id AND a.order_id = o.order_id
WHERE o.paid_s IS NOT NULL AND ib.account IS NULL
GROUP BY o.shop_id, r.month
