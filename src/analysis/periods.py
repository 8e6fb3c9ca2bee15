"""The pilot's rhythm (监测周期): quarters, half years and years as periods of one index.

Member departments report quarterly; the coordinating office redraws the four-colour heat map
every quarter, issues a diagnosis every half year and a comprehensive report every year. This
module makes a period a value (:class:`Period`: ``2024Y``, ``2024H1``, ``2024H2``, ``2024Q1`` …
``2024Q4``), turns quarterly observations into one value per unit × period × leaf
(:func:`period_values`) and builds the composite index on that panel (:func:`build_period_index`).

**Period value of a leaf** (rule per leaf, from the framework's ``year_agg`` and ``frequency``):

=====================================  ===================================================
quarterly leaf, ``year_agg = sum``     sum of the period's quarters (H1 = Q1 + Q2): a flow
quarterly leaf, ``year_agg = mean``    mean of the period's quarters reported
quarterly leaf, ``year_agg = max``     maximum over the period's quarters (events)
quarterly leaf, ``year_agg = last``    a stock reported cumulatively within the year (e.g. a
                                       completion rate that restarts every Q1): the **latest
                                       complete year's** value, i.e. the year's own value in a
                                       period that ends at Q4 (Y, H2, Q4) and the previous
                                       year's otherwise (``stocks = "complete"``, the default);
                                       ``stocks = "period_end"`` takes the value reported at
                                       the period's last quarter instead (year-to-date)
annual leaf (period ``Y``)             the latest complete year's value, as for stocks
=====================================  ===================================================

Denominators are applied as in :func:`analysis.panel.yearly_values`, with the unit's row in force
in the period's year. With kind ``Y`` the period values equal the yearly panel exactly.

Why the latest complete year for stocks and annual leaves: a year-to-date stock is low in every
Q1 and high in every Q4 for every unit, so a pooled reference over all periods would turn the
season into a fall of every unit from H2 to H1; an annual value is only known once the year is
complete. This is the rule of the year-to-date quarterly index (:func:`analysis.scoring.warning.quarterly_index`),
which carries the same leaves from the previous year until Q4.

**Comparable scores across periods.** :func:`build_period_index` runs :func:`analysis.scoring.build_index`
on the panel of all periods of one kind, with the periods as its time axis: normalisation
(``reference = pooled``) and the quantile grade cut-offs (``grades.reference = pooled``) are then
taken over all periods of that kind, so a unit's score in 2024H1 and in 2023H1 are on one scale,
and changes, ranks, grades, attribution and grade-drop warnings are per period. The first year's
H1 (and Q1–Q3) has no complete earlier year: its annual leaves and stocks are missing and the
coverage rule of the config decides whether its units are scored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .errors import AnalysisError
from .framework import LIST_ROLES
from .panel import yearly_values

KINDS = {"Y": 1, "H": 2, "Q": 4}
KIND_ZH = {"Y": "年度", "H": "半年", "Q": "季度"}
_PATTERN = re.compile(r"^\s*(\d{4})\s*[-_ ]?\s*(Y|H[12]|Q[1-4])?\s*$", re.IGNORECASE)
_HALF_ZH = {1: "上半年", 2: "下半年"}
_QUARTER_ZH = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: a year (``kind = 'Y'``), a half year (``'H'``, number 1–2) or a
    quarter (``'Q'``, number 1–4).

    >>> p = Period.parse("2024H1")
    >>> str(p), str(p.previous()), str(p.same_period_last_year()), p.quarters
    ('2024H1', '2023H2', '2023H1', ('Q1', 'Q2'))
    >>> str(Period.parse("2024Q1").previous()), Period.parse("2024").label("zh")
    ('2023Q4', '2024年')
    """

    year: int
    kind: str = "Y"
    number: int = 1

    def __post_init__(self):
        if self.kind not in KINDS or not 1 <= int(self.number) <= KINDS[self.kind]:
            raise AnalysisError(f"期别无效:{self.year}{self.kind}{self.number} / invalid period "
                                f"{self.year}{self.kind}{self.number} (use 2024Y, 2024H1, 2024Q3 …)")

    @classmethod
    def parse(cls, text: "str | int | Period", year: int | None = None) -> "Period":
        """``'2024'``, ``'2024Y'``, ``'2024H1'``, ``'2024Q3'`` (case and a separator ignored), an int
        year, or a period name alone (``'H1'``) together with ``year``."""
        if isinstance(text, Period):
            return text
        s = str(text).strip()
        if year is not None and re.fullmatch(r"(?i)Y|H[12]|Q[1-4]", s):
            s = f"{int(year)}{s}"
        m = _PATTERN.match(s)
        if not m:
            raise AnalysisError(f"无法识别的期别 {text!r}(应为 2024、2024H1 或 2024Q3 等) / "
                                f"cannot read period {text!r} (expected e.g. 2024, 2024H1, 2024Q3)")
        name = (m.group(2) or "Y").upper()
        return cls(int(m.group(1)), name[0], int(name[1:]) if len(name) > 1 else 1)

    def __str__(self) -> str:
        return f"{self.year}Y" if self.kind == "Y" else f"{self.year}{self.kind}{self.number}"

    @property
    def quarters(self) -> tuple[str, ...]:
        """The quarters the period spans."""
        per = 4 // KINDS[self.kind]
        return tuple(f"Q{q}" for q in range((self.number - 1) * per + 1, self.number * per + 1))

    @property
    def complete(self) -> bool:
        """True when the period ends with the year (Y, H2, Q4): the year's annual values are in."""
        return self.number == KINDS[self.kind]

    @property
    def ordinal(self) -> int:
        """A sortable integer ``year × 10 + number`` (the time axis of a period index)."""
        return self.year * 10 + self.number

    @classmethod
    def from_ordinal(cls, kind: str, ordinal: int) -> "Period":
        return cls(int(ordinal) // 10, kind, int(ordinal) % 10)

    def shift(self, n: int) -> "Period":
        """The period ``n`` steps later (earlier for negative ``n``) of the same kind."""
        k = KINDS[self.kind]
        i = self.year * k + self.number - 1 + n
        return Period(i // k, self.kind, i % k + 1)

    def end_date(self) -> pd.Timestamp:
        """The last day of the period.

        >>> str(Period.parse("2024H1").end_date().date()), str(Period.parse("2024Q3").end_date().date())
        ('2024-06-30', '2024-09-30')
        """
        months = {"Y": 12, "H": 6 * self.number if self.kind == "H" else 12, "Q": 3 * self.number if self.kind == "Q" else 12}
        return pd.Timestamp(self.year, months[self.kind], 1) + pd.offsets.MonthEnd(0)

    def previous(self) -> "Period":
        return self.shift(-1)

    def same_period_last_year(self) -> "Period":
        return Period(self.year - 1, self.kind, self.number)

    def label(self, lang: str = "zh") -> str:
        """``2024年上半年`` / ``2024 H1``; ``2024年第一季度`` / ``2024 Q1``; ``2024年`` / ``2024``."""
        if lang == "zh":
            return f"{self.year}年" + {"Y": "", "H": _HALF_ZH.get(self.number, ""),
                                       "Q": _QUARTER_ZH.get(self.number, "")}[self.kind]
        return str(self.year) if self.kind == "Y" else f"{self.year} {self.kind}{self.number}"


def _period_number(quarter: pd.Series, kind: str) -> pd.Series:
    q = quarter.str[1:].astype(int)
    return (q - 1) // (4 // KINDS[kind]) + 1


def period_values(observations: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, kind: str = "H",
                  *, stocks: str = "complete") -> pd.DataFrame:
    """One value per unit × period × leaf of ``kind`` (``'Y'``, ``'H'`` or ``'Q'``), by the rule of
    the module docstring; the periods are those of every year in ``observations``.

    Returns ``unit_id, period, year, number, ordinal, indicator, value, raw_value, n_periods,
    denominator_value, rule`` (``rule``: ``sum`` / ``mean`` / ``max`` of the period's quarters,
    ``period_end``, or ``complete_year`` with the year the value comes from).

    Hand check (H1 of one unit; Q1, Q2 counts 2 and 3 → sum 5; rates 80, 90 → mean 85):

    >>> fw = pd.DataFrame({"code": ["C", "R"], "role": "score", "year_agg": ["sum", "mean"],
    ...                    "frequency": "quarterly", "denominator": "", "per": np.nan})
    >>> obs = pd.DataFrame({"unit_id": "U1", "year": 2024, "period": ["Q1", "Q2", "Q1", "Q2"],
    ...                     "indicator": ["C", "C", "R", "R"], "value": [2.0, 3.0, 80.0, 90.0]})
    >>> units = pd.DataFrame({"unit_id": ["U1"], "valid_from": [None], "valid_to": [None]})
    >>> period_values(obs, fw, units, "H")[["period", "indicator", "value"]].to_numpy().tolist()
    [['2024H1', 'C', 5.0], ['2024H1', 'R', 85.0]]
    """
    if kind not in KINDS:
        raise AnalysisError(f"期别类型须为 Y、H 或 Q,现为 {kind!r} / period kind must be Y, H or Q, got {kind!r}")
    if stocks not in ("complete", "period_end"):
        raise AnalysisError(f"存量指标规则须为 complete 或 period_end,现为 {stocks!r} / "
                            f"stocks must be 'complete' or 'period_end', got {stocks!r}")
    cols = ["unit_id", "period", "year", "number", "ordinal", "indicator", "value", "raw_value", "n_periods",
            "denominator_value", "rule"]
    roles = {"score", "red_line", *LIST_ROLES}
    meta = framework[framework.role.isin(roles)].drop_duplicates("code", keep="last").set_index("code")
    obs = observations[observations.indicator.isin(meta.index)].dropna(subset=["value"])
    if obs.empty:
        return pd.DataFrame(columns=cols)
    agg = obs.indicator.map(meta.year_agg).fillna("")
    quarterly = obs.period.isin(["Q1", "Q2", "Q3", "Q4"])
    is_list = obs.indicator.map(meta.role).isin(LIST_ROLES)
    held = ~quarterly | ((agg == "last") & (stocks == "complete") & ~is_list)
    years = sorted(int(y) for y in obs.year.unique())
    n_per = KINDS[kind]

    window = obs[~held].copy()
    window["number"] = _period_number(window.period, kind)
    window["ordinal"] = window.year.astype(int) * 10 + window.number
    window["rule"] = np.where(agg[~held] == "last", "period_end", agg[~held].replace("", "sum"))
    parts = [window]
    complete = obs[held]
    for number in range(1, n_per + 1):
        # a period ending at Q4 takes its own year's complete value, an earlier one the previous year's
        lag = 0 if number == n_per else 1
        part = complete.assign(number=number, ordinal=(complete.year.astype(int) + lag) * 10 + number,
                               rule="complete_year " + complete.year.astype(int).astype(str))
        parts.append(part[(part.ordinal // 10).isin(years)])
    stacked = pd.concat(parts, ignore_index=True)
    rules = stacked.drop_duplicates(["unit_id", "ordinal", "indicator"]).set_index(
        ["unit_id", "ordinal", "indicator"]).rule
    values = yearly_values(stacked.assign(year=stacked.ordinal), framework, ordinal_units(units))
    if values.empty:
        return pd.DataFrame(columns=cols)
    values = values.rename(columns={"year": "ordinal"})
    values["year"] = values.ordinal // 10
    values["number"] = values.ordinal % 10
    values["period"] = [str(Period(y, kind, n)) for y, n in zip(values.year, values.number)]
    values["rule"] = rules.reindex(pd.MultiIndex.from_frame(values[["unit_id", "ordinal", "indicator"]])).to_numpy()
    return values[cols].sort_values(["unit_id", "ordinal", "indicator"]).reset_index(drop=True)


def ordinal_units(units: pd.DataFrame) -> pd.DataFrame:
    """The units table with ``valid_from``/``valid_to`` moved onto the period axis (year × 10 + number)."""
    out = units.copy()
    vf = pd.to_numeric(out.valid_from, errors="coerce").astype("float64")
    vt = pd.to_numeric(out.valid_to, errors="coerce").astype("float64")
    out["valid_from"] = pd.array(np.where(vf.isna(), np.nan, vf * 10), dtype="Float64").astype("Int64")
    out["valid_to"] = pd.array(np.where(vt.isna(), np.nan, vt * 10 + 9), dtype="Float64").astype("Int64")
    return out


def ordinal_framework(framework: pd.DataFrame) -> pd.DataFrame:
    """The framework with its year versions (``valid_from``/``valid_to``) on the period axis."""
    out = framework.copy()
    out["valid_from"] = out.valid_from * 10
    out["valid_to"] = out.valid_to * 10 + 9
    return out


# --------------------------------------------------------------------------- the period index

def _label_columns(df: pd.DataFrame, kind: str, year_col: str = "year", period_col: str = "period") -> pd.DataFrame:
    """Replace an ordinal ``year`` column by the calendar ``year`` and a ``period`` label."""
    if year_col not in df or df.empty:
        out = df.copy()
        if year_col in out and period_col not in out:
            out.insert(list(out.columns).index(year_col) + 1, period_col, pd.Series(dtype=object))
        return out
    out = df.copy()
    ordn = pd.to_numeric(out[year_col], errors="coerce")
    labels = [str(Period.from_ordinal(kind, int(o))) if pd.notna(o) else None for o in ordn]
    out[year_col] = (ordn // 10).astype("Int64" if ordn.isna().any() else "int64")
    if period_col in out:
        out[period_col] = labels
    else:
        out.insert(list(out.columns).index(year_col) + 1, period_col, labels)
    return out


@dataclass
class PeriodIndex:
    """The composite index on a period axis (all periods of one ``kind``).

    ``result`` holds the tables of :class:`analysis.scoring.IndexResult` with calendar ``year``
    and a ``period`` label (``2024H1``); attribution has ``from_year, from_period``. ``raw`` is the
    same run with the ordinal time axis (``year × 10 + number``), used by :meth:`compare`.
    """

    kind: str
    periods: list[Period]
    result: object
    raw: object
    values: pd.DataFrame

    def index(self) -> pd.DataFrame:
        """Root scores with grade: ``unit_id, year, period, score, rank, …, grade, red_line``."""
        s = self.result.scores
        root = s[s.level == 0].drop(columns=["node", "level"])
        g = self.result.grades.drop(columns=["score", "year"])
        return root.merge(g, on=["unit_id", "period"], how="left")

    def changes(self) -> pd.DataFrame:
        """Every unit × period with the previous period and the same period last year (see
        :func:`period_changes`)."""
        return period_changes(self.index(), self.kind)

    def compare(self, period_from, period_to, dimension_level: int = 1):
        """Change between any two periods of this index for every unit and node, with its
        attribution (:func:`analysis.scoring.attribution.compare_two`)."""
        from .scoring.attribution import compare_two

        a, b = Period.parse(period_from), Period.parse(period_to)
        for p in (a, b):
            if p.kind != self.kind or p not in self.periods:
                raise AnalysisError(f"期别 {p} 不在本指数的期别中({self.periods[0]}–{self.periods[-1]}) / "
                                    f"period {p} is not in this index ({self.periods[0]}–{self.periods[-1]})")
        cmp = compare_two(self.raw, a.ordinal, b.ordinal, dimension_level=dimension_level)
        return replace(cmp, nodes=_label_columns(_label_columns(cmp.nodes, self.kind, "from_year", "from_period"),
                                                 self.kind),
                       attribution=_label_columns(_label_columns(cmp.attribution, self.kind, "from_year", "from_period"),
                                                  self.kind))

    def dimension_grades(self, level: int = 1) -> pd.DataFrame:
        """Four-colour grade of every node of ``level`` (the dimensions) per unit and period, by the
        index's grade rule applied to that node's scores (quantile cut-offs pooled over all periods,
        or the absolute cut-offs): ``unit_id, year, period, node, score, grade, grade_zh``. Red lines
        cap the root's grade only."""
        from .scoring.config import load_config
        from .scoring.grades import GRADE_ZH, GRADES

        cfg = load_config(self.result.config).grades
        s = self.result.scores[self.result.scores.level == level][["unit_id", "year", "period", "node", "score"]].copy()
        if cfg.method == "absolute":
            c = np.tile([cfg.cutoffs[k] for k in ("green", "blue", "yellow")], (len(s), 1)).astype(float)
        else:
            q = [cfg.quantiles[k] for k in ("green", "blue", "yellow")]
            group = s.node if cfg.reference == "pooled" else s.node + "|" + s.period
            c = np.full((len(s), 3), np.nan)
            for _, idx in s.groupby(group).groups.items():
                v = s.score.loc[idx].to_numpy(dtype=float)
                if np.isfinite(v).any():
                    c[s.index.get_indexer(idx)] = np.nanquantile(v, q)
        v = s.score.to_numpy(dtype=float)
        code = np.where(np.isnan(v), -1, 3 - np.sum(v[:, None] >= c, axis=1)) if len(s) else np.zeros(0, int)
        s["grade"] = np.array([*GRADES, None], dtype=object)[code]
        s["grade_zh"] = s.grade.map(GRADE_ZH)
        return s.reset_index(drop=True)

    def heatmap(self, period, level: int = 1, labels: pd.Series | None = None,
                units: pd.Series | None = None) -> dict[str, pd.DataFrame]:
        """The quarter's (or half year's) heat map as wide tables, units × dimensions:
        ``grades`` (grade codes), ``scores``, ``change`` (score change since the previous period)
        and ``previous_grades``. ``labels`` maps node codes to column labels, ``units`` unit ids
        to row labels. The root (composite index) is the first column."""
        p = Period.parse(period)
        dims = self.dimension_grades(level)
        root = self.index()[["unit_id", "period", "score", "grade"]].assign(node=self.result.scores.node[
            self.result.scores.level == 0].iloc[0] if len(self.result.scores) else "")
        both = pd.concat([root, dims[["unit_id", "period", "node", "score", "grade"]]], ignore_index=True)
        order = list(dict.fromkeys(both.node))

        def wide(per: Period, col: str) -> pd.DataFrame:
            w = both[both.period == str(per)].pivot(index="unit_id", columns="node", values=col)
            return w.reindex(columns=order)

        grades, scores = wide(p, "grade"), wide(p, "score")
        prev_scores = wide(p.previous(), "score").reindex(index=scores.index)
        prev_grades = wide(p.previous(), "grade").reindex(index=scores.index)
        out = {"grades": grades, "scores": scores, "change": scores - prev_scores, "previous_grades": prev_grades}
        for k, frame in out.items():
            if labels is not None:
                frame = frame.rename(columns=lambda c: labels.get(c, c))
            if units is not None:
                frame = frame.rename(index=lambda u: units.get(u, u))
            out[k] = frame
        return out


def build_period_index(observations: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, kind: str = "H",
                       config=None, *, stocks: str = "complete") -> PeriodIndex:
    """The composite index per period of ``kind`` (``'H'`` half years, ``'Q'`` quarters, ``'Y'``).

    Period values by :func:`period_values`; then :func:`analysis.scoring.build_index` with the
    periods as its time axis (framework versions and unit validity moved onto that axis), so the
    pooled normalisation and grade cut-offs are taken over all periods of the kind. Early
    warnings are the grade drops and unusual index changes between consecutive periods.
    """
    from .scoring.build import build_index
    from .scoring.warning import early_warnings

    values = period_values(observations, framework, units, kind, stocks=stocks)
    if values.empty:
        raise AnalysisError("没有可用于分期评分的监测数据 / no observations to score by period")
    panel = values[["unit_id", "ordinal", "indicator", "value"]].rename(columns={"ordinal": "year"})
    fw = ordinal_framework(framework)
    raw = build_index(panel, fw, ordinal_units(units), config)
    periods = [Period.from_ordinal(kind, o) for o in sorted(values.ordinal.unique())]
    label = {p.ordinal: (p.label("zh"), p.label("en")) for p in periods}
    root = raw.scores[raw.scores.level == 0]
    ew = early_warnings(root, raw.grades, raw.model.config.warning, period_label=label)
    labelled = {name: _label_columns(getattr(raw, name), kind) for name in
                ("scores", "grades", "leaves", "imputed", "treated", "excluded", "weights", "effective_weights",
                 "profile", "alternatives", "warnings", "list_items")}
    att = _label_columns(_label_columns(raw.attribution, kind, "from_year", "from_period"), kind)
    labelled["warnings"]["message"] = [_relabel(m, label) for m in labelled["warnings"].message]
    ew = _label_columns(ew.drop(columns="period"), kind)
    result = replace(raw, **labelled, attribution=att, early_warnings=ew)
    return PeriodIndex(kind, periods, result, replace(raw, early_warnings=ew), values)


def _relabel(message: str, label: dict) -> str:
    """A build message that names a time point by its ordinal (``20214 年``) with the period label."""
    for o, (zh, en) in label.items():
        if str(o) in message:
            message = message.replace(f"{o} 年", zh).replace(str(o), en)
    return message


def period_changes(index: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Each unit × period with its previous period and the same period last year.

    ``index``: ``unit_id, period, score, rank, grade`` (:meth:`PeriodIndex.index`). Returns
    ``unit_id, year, period, score, rank, grade, previous_period, previous_score, previous_rank,
    previous_grade, change_previous, grade_steps_previous, last_year_period, last_year_score,
    last_year_rank, last_year_grade, change_last_year, grade_steps_last_year``; ``grade_steps`` is
    the number of colours gained (positive = better, e.g. yellow → blue = +1, blue → red = −2).
    """
    from .scoring.grades import GRADES

    order = {g: i for i, g in enumerate(GRADES)}
    base = index[["unit_id", "year", "period", "score", "rank", "grade"]].copy()
    ps = [Period.parse(p) for p in base.period]
    base["previous_period"] = [str(p.previous()) for p in ps]
    base["last_year_period"] = [str(p.same_period_last_year()) for p in ps]
    look = base[["unit_id", "period", "score", "rank", "grade"]]
    for tag, col in (("previous", "previous_period"), ("last_year", "last_year_period")):
        other = look.rename(columns={"period": col, "score": f"{tag}_score", "rank": f"{tag}_rank",
                                     "grade": f"{tag}_grade"})
        base = base.merge(other, on=["unit_id", col], how="left")
        base[f"change_{tag}"] = base.score - base[f"{tag}_score"]
        g0 = base[f"{tag}_grade"].map(order)
        g1 = base.grade.map(order)
        base[f"grade_steps_{tag}"] = (g0 - g1).astype("Int64")
    cols = ["unit_id", "year", "period", "score", "rank", "grade",
            "previous_period", "previous_score", "previous_rank", "previous_grade", "change_previous", "grade_steps_previous",
            "last_year_period", "last_year_score", "last_year_rank", "last_year_grade", "change_last_year",
            "grade_steps_last_year"]
    return base[cols].sort_values(["unit_id", "year", "period"]).reset_index(drop=True)


def grade_moves(changes: pd.DataFrame, period) -> pd.DataFrame:
    """The units whose grade changed since the previous period, worst moves first."""
    p = str(Period.parse(period))
    moved = changes[(changes.period == p) & changes.grade_steps_previous.notna() & (changes.grade_steps_previous != 0)]
    return moved.sort_values(["grade_steps_previous", "change_previous"]).reset_index(drop=True)
