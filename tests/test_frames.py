"""Tests of analysis.frames (the shared column helpers); expected values are written out."""
import pandas as pd
import pytest

from analysis.errors import ConfigError
from analysis.frames import as_list, check_columns, join_reasons


def test_as_list_forms():
    assert as_list(None) == []
    assert as_list("region") == ["region"]          # a name is one column, not its letters
    assert as_list(("node", "year")) == ["node", "year"]
    assert as_list(pd.Index(["a", "b"])) == ["a", "b"]


def test_check_columns_names_what_is_missing():
    d = pd.DataFrame({"unit_id": [1], "score": [2.0]})
    check_columns(d, ["unit_id", "score"])
    with pytest.raises(ConfigError, match=r"数据中没有列 \['region'\] / column\(s\) \['region'\] not found"):
        check_columns(d, ["unit_id", "region"])
    with pytest.raises(ConfigError, match="须为 DataFrame / data must be a pandas DataFrame"):
        check_columns({"unit_id": [1]}, ["unit_id"])


def test_join_reasons_keeps_first_seen_order_once():
    assert join_reasons([None, "", None]) is None
    assert join_reasons(["b / B", None, "a / A", "b / B"]) == "b / B; a / A"
