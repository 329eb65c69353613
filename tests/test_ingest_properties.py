"""Properties of importing: twice equals once; the order of the files does not matter."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.store import open_store
from kefu.store.ingest import import_files
from test_io_support import export_csv, order_row, snapshot

money = st.decimals(
    min_value=0, max_value=Decimal("99999.99"), places=2, allow_nan=False, allow_infinity=False
)


@st.composite
def an_order(draw: st.DrawFn, order_id: str) -> dict[str, str]:
    total = draw(money)
    refund = draw(st.decimals(min_value=0, max_value=total, places=2)) if total else Decimal("0.00")
    paid = draw(st.booleans())
    return order_row(
        order_id,
        buyer=draw(st.sampled_from(["tb_a", "tb_b", "小美"])),
        total=f"{total:.2f}",
        paid=f"{total - refund:.2f}" if paid else "0.00",
        refund=f"{refund:.2f}" if paid else "0.00",
        paid_at="2024-09-03 10:01:00" if paid else "",
        items=str(draw(st.integers(1, 5))),
        status=draw(st.sampled_from(["交易成功", "交易关闭", "等待买家付款"])),
    )


@st.composite
def order_files(draw: st.DrawFn) -> list[bytes]:
    """Two to four export files over one set of orders; files may overlap (with the same values)."""
    ids = draw(
        st.lists(st.integers(10**17, 10**18 - 1).map(str), min_size=1, max_size=12, unique=True)
    )
    truth = {i: draw(an_order(i)) for i in ids}
    n_files = draw(st.integers(2, 4))
    files = []
    for _ in range(n_files):
        chosen = draw(st.lists(st.sampled_from(ids), max_size=len(ids), unique=True))
        rows = [truth[i] for i in chosen]
        if draw(st.booleans()):
            rows.append(order_row("not-an-id"))  # one bad row: quarantined in every ordering alike
        files.append(export_csv(rows, encoding=draw(st.sampled_from(["gbk", "utf-8"]))))
    return files


def write_files(folder: Path, files: list[bytes]) -> list[Path]:
    paths = []
    for i, data in enumerate(files):
        p = folder / f"ExportOrderList{i}.csv"
        p.write_bytes(data)
        paths.append(p)
    return paths


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order_files())
def test_importing_twice_equals_importing_once(files: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as d:
        paths = write_files(Path(d), files)
        with open_store(Path(d) / "k.duckdb") as store:
            import_files(store, paths)
            once = snapshot(store)
            again = import_files(store, paths)
            assert snapshot(store) == once
            for r in again:
                assert (r.imported, r.updated) == (0, 0)
                assert r.duplicates == r.rows_read - r.quarantined


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order_files(), st.randoms(use_true_random=False), st.booleans())
def test_the_order_of_files_does_not_matter(
    files: list[bytes], rnd: object, one_call: bool
) -> None:
    with tempfile.TemporaryDirectory() as d:
        paths = write_files(Path(d), files)
        shuffled = list(paths)
        rnd.shuffle(shuffled)  # type: ignore[attr-defined]
        results = []
        for n, order in enumerate((paths, shuffled)):
            with open_store(Path(d) / f"k{n}.duckdb") as store:
                if one_call:
                    import_files(store, order)
                else:
                    for p in order:
                        import_files(store, [p])
                results.append(snapshot(store))
        assert results[0] == results[1]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.integers(10**17, 10**18 - 1).map(str),
        st.lists(st.integers(1, 9), min_size=1, max_size=3),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_detail_and_order_list_in_one_call_in_either_order(
    lines: dict[str, list[int]], detail_first: bool
) -> None:
    with tempfile.TemporaryDirectory() as d:
        header = [
            "订单编号",
            "买家会员名",
            "总金额",
            "买家实际支付金额",
            "订单状态",
            "订单创建时间",
            "订单付款时间",
            "店铺名称",
            "退款金额",
        ]
        export = Path(d) / "ExportOrderList.csv"
        export.write_bytes(export_csv([order_row(i) for i in lines], header))  # no 宝贝总数量
        detail = Path(d) / "ExportOrderDetailList.csv"
        body = "".join(f'="{i}","x",{q},\r\n' for i, qs in lines.items() for q in qs)
        detail.write_bytes(("订单编号,标题,购买数量\r\n" + body).encode("gbk"))
        with open_store(Path(d) / "k.duckdb") as store:
            import_files(store, [detail, export] if detail_first else [export, detail])
            got = dict(store.con.execute("SELECT order_id, items FROM orders").fetchall())
        assert got == {i: sum(qs) for i, qs in lines.items()}
