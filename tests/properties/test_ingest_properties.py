"""Nothing is lost: on generated messy input, accepted + rejected + duplicates == rows in."""

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.io.ingest import ingest

TIMES = st.sampled_from(
    [
        "2024-03-01T10:00:00Z",
        "2024-03-01 12:00:00+02:00",
        "Tue Apr 03 18:00:09 +0000 2012",
        "1333476009",
        "1333476009000",
        "0",
        "1985-01-01",
        "not a time",
        "",
        "2024-13-45",
        "03/04/2012 10:00",
    ]
)
IDS = st.sampled_from(["u1", "u2", "Ünïcode", "", "NULL", " spaced ", "42"])
COORD = st.sampled_from(["", "40.7", "-73.9", "0", "999", "abc"])
ROW = st.tuples(IDS, IDS, TIMES, st.sampled_from(["view", "CLICK", "", "purchase"]), COORD, COORD)


@st.composite
def messy_files(draw):
    rows = draw(st.lists(ROW, min_size=0, max_size=40))
    if rows and draw(st.booleans()):
        rows = rows + draw(st.lists(st.sampled_from(rows), max_size=5))  # exact duplicates
    delimiter = draw(st.sampled_from([",", "\t", ";", "|"]))
    lines = [delimiter.join(r) for r in rows]
    n_ragged = draw(st.integers(0, 3))
    lines += [delimiter.join(["u9", "i9"])] * n_ragged  # wrong number of fields
    order = draw(st.permutations(range(len(lines))))
    lines = [lines[i] for i in order]
    header = delimiter.join(["user", "item", "time", "event", "lat", "lon"])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    text = "\n".join([header, *lines]) + "\n"
    return text.encode(encoding), len(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_files())
def test_every_row_is_accepted_rejected_or_a_duplicate(case):
    data, n_rows = case
    result = ingest(data)
    rep = result.report
    assert rep.rows_in == n_rows
    assert rep.accepted + rep.rejected + rep.duplicates == rep.rows_in
    assert len(result.events) == rep.accepted
    assert len(result.rejected) == rep.rejected == sum(c for _, c in rep.rejected_by_reason)
    numbers = result.rejected["row_number"]
    assert numbers.is_unique and numbers.between(1, n_rows).all()
    assert isinstance(result.events["ts"].dtype, pd.DatetimeTZDtype)
