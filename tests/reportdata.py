"""Agent-report fixtures built from the documented headers (no real sample exists), with every quirk.

Each builder writes a file the way the platform's download does: its header (from the source
named in docs/reports.md), summary rows among the agent rows, placeholders, durations and
percentages as text, GBK or xlsx, and the file names that carry dates and the credit rule.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

CHITU_HEADER = [
    "客服",
    "客服分组",
    "聊天人数",
    "接待人数",
    "询单人数",
    "询单->最终付款人数",
    "询单->最终付款成功率",
    "询单->最终下单人数",
    "销售额",
    "销售人数",
    "销售订单数",
    "客单价",
    "回复率",
    "平均响应(秒)",
    "首次响应时间",
    "答问比",
    "客户满意率",
    "平均上线时间",
]


def chitu_row(
    agent: str,
    consulted: int,
    served: int,
    inquiring: int,
    paying: int,
    sales: str,
    buyers: int,
    orders: int,
    satisfaction: str = "96.2%",
) -> list[str]:
    conv = f"{paying / inquiring * 100:.2f}%" if inquiring else "0.00%"
    spend = f"{float(sales) / buyers:.2f}" if buyers else "0.00"
    return [
        agent,
        "售前",
        str(consulted),
        str(served),
        str(inquiring),
        str(paying),
        conv,
        str(paying + 1),
        sales,
        str(buyers),
        str(orders),
        spend,
        "98.5%",
        "32.5",
        "18",
        "1.25",
        satisfaction,
        "08:58:00",
    ]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "gbk") -> Path:
    """CSV as spreadsheet exports write it: a cell with a comma (1,000.00) is quoted."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def chitu_month(
    folder: Path,
    shop: str = "小美旗舰店",
    rule: str = "下单优先判定",
    month: str = "2024-09",
    rows: list[list[str]] | None = None,
    gbk: bool = False,
) -> Path:
    """A 赤兔 monthly 自定义报表: rule and period in the name; 汇总 and 均值 rows among agents."""
    y, m = month.split("-")
    last = {"02": 29 if int(y) % 4 == 0 else 28}.get(m, 30 if m in ("04", "06", "09", "11") else 31)
    name = f"自定义报表_客服月报_{rule}_{month}-01至{month}-{last:02d}"
    body = rows or [
        chitu_row(f"{shop}:小美", 420, 415, 300, 165, "41250.00", 160, 170),
        chitu_row(f"{shop}:阿强", 380, 370, 280, 120, "30000.00", 118, 125),
        [
            "汇总",
            "",
            "800",
            "785",
            "580",
            "285",
            "49.14%",
            "287",
            "71250.00",
            "278",
            "295",
            "256.29",
            "98.5%",
            "32.5",
            "18",
            "1.25",
            "96.2%",
            "",
        ],
        chitu_row(f"{shop}:小丽", 200, 198, 150, 60, "15000.00", 60, 61, satisfaction="延迟统计"),
        [
            "均值",
            "",
            "333",
            "327",
            "243",
            "115",
            "47.33%",
            "116",
            "28750.00",
            "112",
            "118",
            "256.70",
            "98.5%",
            "32.5",
            "18",
            "1.25",
            "96.2%",
            "",
        ],
    ]
    if gbk:
        return write_csv(folder / f"{name}.csv", [CHITU_HEADER, *body])
    return write_xlsx(folder / f"{name}.xlsx", [CHITU_HEADER, *body])


def chitu_days(
    folder: Path,
    shop: str = "小美旗舰店",
    month: str = "2024-09",
    days: tuple[int, ...] = (1, 2, 3),
) -> list[Path]:
    """赤兔 daily files (one per day, the day in the name) with placeholders on the last day."""
    out = []
    for d in days:
        day = f"{month}-{d:02d}"
        rows = [
            chitu_row(f"{shop}:小美", 14, 14, 10, 5 + d % 2, f"{1000 + d * 10}.00", 5 + d % 2, 6),
            chitu_row(f"{shop}:阿强", 12, 12, 9, 4, "800.00", 4, 4),
            [
                "汇总",
                "",
                "26",
                "26",
                "19",
                "9",
                "47.37%",
                "10",
                "1800.00",
                "9",
                "10",
                "200.00",
                "98.5%",
                "32.5",
                "18",
                "1.25",
                "96.2%",
                "",
            ],
        ]
        name = f"自定义报表_客服日报_下单优先判定_{day}至{day}.csv"
        out.append(write_csv(folder / name, [CHITU_HEADER, *rows], encoding="gbk"))
    return out


SYCM_HEADER = [
    "旺旺昵称",
    "咨询人数",
    "有效接待人数",
    "询单人数",
    "询单最终付款人数",
    "询单转化率",
    "下单人数",
    "销售人数",
    "销售额",
    "订单量",
    "成功退款金额",
    "净销售额",
    "个人销售额占比",
    "平均响应时长（秒）",
    "旺旺回复率",
]


def sycm_month(
    folder: Path, shop: str = "小美旗舰店", month: str = "2024-09", rule: str = "付款判定"
) -> Path:
    """生意参谋 服务绩效 per account, xlsx with a title row naming the period and the rule."""
    rows: list[list[object]] = [
        SYCM_HEADER,
        [
            f"{shop}:小美",
            420,
            415,
            300,
            165,
            "55.00%",
            170,
            160,
            "41,250.00",
            170,
            "1,250.00",
            "40,000.00",
            "57.89%",
            "32.50",
            "99.10%",
        ],
        [
            f"{shop}:阿强",
            380,
            370,
            280,
            120,
            "42.86%",
            125,
            118,
            "30,000.00",
            125,
            "0.00",
            "30,000.00",
            "42.11%",
            "41",
            "98.00%",
        ],
        [
            "店铺汇总值",
            800,
            785,
            580,
            285,
            "49.14%",
            295,
            278,
            "71,250.00",
            295,
            "1,250.00",
            "70,000.00",
            "100.00%",
            "36.5",
            "98.60%",
        ],
    ]
    title = f"客服绩效统计表 {rule} 统计时间：{month}-01至{month}-{'30' if month.endswith(('04', '06', '09', '11')) else '31'}"
    return write_xlsx(folder / f"服务绩效_{month}.xlsx", rows, title=title)


FEIGE_HEADER = [
    "客服昵称",
    "账号名称",
    "人工已接待人数",
    "人工已接待会话量",
    "询单人数",
    "下单人数",
    "支付人数",
    "询单转化率",
    "客服销售额（元）",
    "3分钟人工回复率",
    "平均响应时长（秒）",
    "全天平响时长",
    "满意率",
    "PC在线时长（时）",
]


def feige_month(folder: Path, shop: str = "抖店小美") -> Path:
    rows = [
        FEIGE_HEADER,
        [
            "小美",
            "小美",
            "300",
            "320",
            "200",
            "90",
            "80",
            "40.00%",
            "16000.00",
            "95.5%",
            "25",
            "7小时41分52秒",
            "98%",
            "176.5",
        ],
        [
            "店铺汇总值",
            "",
            "300",
            "320",
            "200",
            "90",
            "80",
            "40.00%",
            "16000.00",
            "95.5%",
            "25",
            "7小时41分52秒",
            "98%",
            "176.5",
        ],
        [
            "店铺平均值",
            "",
            "300",
            "320",
            "200",
            "90",
            "80",
            "40.00%",
            "16000.00",
            "95.5%",
            "25",
            "7小时41分52秒",
            "98%",
            "176.5",
        ],
    ]
    return write_csv(folder / f"飞鸽_客服数据_{shop}_2024-09-01至2024-09-30.csv", rows, "utf-8")


PDD_HEADER = [
    "客服账号",
    "咨询人数",
    "询单人数",
    "最终成团人数",
    "询单转化率",
    "客服销售额",
    "去退销售额（元）",
    "平均人工响应时长",
    "30秒应答率(8-23点)",
    "3分钟人工回复率(8-23点)",
    "3分钟未回复人数",
    "客服服务分",
]


def pdd_month(folder: Path) -> Path:
    rows = [
        PDD_HEADER,
        [
            "拼多多小美店:小美",
            "250",
            "180",
            "70",
            "38.89%",
            "9800.00",
            "9500.00",
            "18秒",
            "92.3%",
            "99.1%",
            "1",
            "4.86",
        ],
        [
            "汇总",
            "250",
            "180",
            "70",
            "38.89%",
            "9800.00",
            "9500.00",
            "18秒",
            "92.3%",
            "99.1%",
            "1",
            "4.86",
        ],
    ]
    return write_csv(folder / "csReportDetail_2024-09-01_2024-09-30.csv", rows, "gbk")


JD_HEADER = [
    "客服",
    "咨询量",
    "登录时长",
    "接待时长",
    "30s应答率",
    "满意率",
    "24小时下单金额",
    "24小时下单转化率",
]


def jd_month(folder: Path, extra: list[str] | None = None) -> Path:
    header = JD_HEADER + (extra or [])
    row = [
        "京东小美店:小美",
        "500",
        "176小时30分0秒",
        "120小时",
        "97.0%",
        "95.0%",
        "25000.00",
        "30.5%",
    ] + ["1" for _ in (extra or [])]
    return write_csv(folder / "客服绩效_2024-09.csv", [header, row], "utf-8")
