"""The synthetic sample city: deterministic, labelled synthetic, with its planted effects."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import sample as S
from analysis.panel import yearly_values


def test_deterministic(sample_data):
    again = S.generate()
    for name, frame in sample_data.tables().items():
        pd.testing.assert_frame_equal(frame, getattr(again, name), obj=name)


def test_shape_matches_the_documented_sample(sample_data):
    units = sample_data.units.drop_duplicates("unit_id")
    assert len(units) == 80 and units.region.nunique() == 12 and units.type.nunique() == 4
    assert sorted(sample_data.observations.year.unique()) == list(range(2019, 2025))
    assert 250 <= len(sample_data.problems) <= 350


def test_planted_effects_are_in_the_data(sample_data):
    d = sample_data
    # M22 missing in 2021 for every unit
    obs = d.observations
    assert not ((obs.indicator == "M22") & (obs.year == 2021)).any()
    assert ((obs.indicator == "M22") & (obs.year == 2020)).sum() == 80
    # U005 renamed in 2022: two name rows with adjoining validity
    u5 = d.units[d.units.unit_id == "U005"].sort_values("valid_to")
    assert len(u5) == 2 and u5.valid_to.iloc[0] == 2021 and u5.valid_from.iloc[1] == 2022
    # red line for U042 in 2023 only
    red = obs[(obs.indicator == "RL1") & (obs.value > 0)]
    assert red[["unit_id", "year"]].drop_duplicates().values.tolist() == [["U042", 2023]]
    # zeros and ties in counts
    m01 = yearly_values(obs, d.framework, d.units).query("indicator == 'M27'").value
    assert (m01 == 0).mean() > 0.15 and m01.duplicated().mean() > 0.5
    # latent truth: R03 rises by 0.35/yr more than the others; U017 falls; U030 steps down in 2022
    lat = d.latent.merge(d.units.drop_duplicates("unit_id")[["unit_id", "region"]])
    slope = lat.groupby("unit_id").apply(lambda g: np.polyfit(g.year, g.q, 1)[0], include_groups=False)
    region = d.units.drop_duplicates("unit_id").set_index("unit_id").region
    assert slope[region == "R03"].mean() - slope[region != "R03"].mean() > 0.25
    q = d.latent.set_index(["unit_id", "year"]).q
    assert q["U017", 2024] - q["U017", 2020] < -1.5
    assert q["U030", 2022] - q["U030", 2021] < -0.8


def test_labelled_synthetic(tmp_path, sample_data):
    S.write_files(sample_data, tmp_path)
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "虚构" in readme and "synthetic" in readme


def test_large_panel_knob():
    big = S.generate(n_units=300, years=range(2015, 2025), seed=7)
    assert big.units.unit_id.nunique() == 300 and big.observations.year.nunique() == 10
