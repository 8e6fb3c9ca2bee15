"""The synthetic sample city (示例市, 虚构数据 / synthetic, fictional data).

Every name is invented; every value is drawn from a documented model so that analyses can be
checked against the effects planted here. Nothing in it describes a real place or person.

Model. Each unit *u* has a latent quality ``q[u, t]`` (higher = healthier political ecology):
``q = a_u + planted effects``, with ``a_u ~ N(0, 1)`` drawn from the same distribution in
every region and unit type. Each monitoring point is a noisy function of ``q`` in its own
direction (rates and scores rise with q for positive leaves and fall for negative ones; counts
are Poisson with rate ``base · exp(∓0.35 q)``, per 100 staff where the framework says so).

Planted effects (the tests of later analyses rely on them):

========================  =============================================================
region ``R03``            every unit improves: ``q += 0.35 · (year − first year)``
unit ``U017``             deteriorates from 2021: ``q −= 0.6 · (year − 2020)`` (≥ 1 grade)
unit ``U030``             step change in 2022: ``q −= 1.5`` from 2022 on (a change point)
leaf ``M22``              missing for every unit in 2021
leaves ``M07``, ``M09``   a few outliers (values × 12)
count leaves              Poisson: many zeros and ties
unit ``U005``             renamed in 2022 (same unit_id, a second name row)
unit ``U042``             red-line event ``RL1`` = 1 in 2023
colleges                  more work-style (D6) problems (a topic for the example report)
other regions             no true difference in level or trend
inspection problems       two inspection rounds a year (``XC2023-1``, ``XC2023-2`` ...); the last
                          year opens with a re-check round (回头看, ``XC2024-H``) of the previous
                          year's second round, which sets back (reopens) at least one item
                          reported rectified too early; every problem has a status history
========================  =============================================================

The problems' coded fields are canonical in :class:`SampleData`; :func:`write_files` writes the
rows of the inspection office (source ``inspection``) with Chinese codes (巡察, 高, 整改中), as a
Chinese office would fill them, so every ingest of the sample exercises both spellings.

The ids ``R03``, ``U005``, ``U017``, ``U030`` and ``U042`` exist whenever ``n_units ≥ 42``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import framework as fwmod

SYNTHETIC_LABEL = "示例市(虚构数据)/ Sample City (synthetic, fictional data)"

REGIONS = ["青松片区", "翠湖片区", "东岚片区", "西岭片区", "南渚片区", "北垣片区",
           "云峰片区", "玉泉片区", "金沙片区", "石桥片区", "柳汀片区", "枫林片区"]
REGIONS_EN = ["Qingsong", "Cuihu", "Donglan", "Xiling", "Nanzhu", "Beiyuan",
              "Yunfeng", "Yuquan", "Jinsha", "Shiqiao", "Liuting", "Fenglin"]
TYPES = [("county", 0.15), ("department", 0.40), ("enterprise", 0.20), ("college", 0.25)]
_DEPT_STEMS = ["澄衡", "景和", "惠通", "安澜", "德润", "明远", "嘉禾", "启航", "永泰", "怀瑾",
               "思源", "致远", "弘毅", "崇文", "立信", "鸿图", "恒昌", "瑞丰", "博雅", "兴邦"]
_DEPT_KINDS = ["事务局", "服务中心", "管理局", "促进局", "办公室"]
_ENT_KINDS = ["集团有限公司", "投资有限公司", "发展有限公司"]
_COLLEGE_KINDS = ["职业技术学院", "学院", "师范学院", "理工学院"]

# generator per monitoring point: kind, base, sensitivity to q
_LEAF_MODEL = {
    "M01": ("count", 1.2), "M02": ("count", 0.9), "M03": ("count", 3.0),
    "M04": ("pct_neg", 6.0), "M05": ("pct_pos", 88.0), "M06": ("stock", 85.0),
    "M07": ("count_abs", 4.0), "M08": ("count", 2.0), "M09": ("count_abs", 5.0),
    "M10": ("stock", 82.0), "M11": ("score", 84.0), "M12": ("pct_pos", 92.0),
    "M13": ("score", 86.0), "M14": ("pct_pos", 80.0), "M15": ("stock", 87.0),
    "M16": ("pct_pos", 62.0), "M17": ("count", 0.5), "M18": ("pct_pos", 90.0),
    "M19": ("pct_pos", 91.0), "M20": ("pct_pos", 85.0), "M21": ("count_abs", 1.0),
    "M22": ("pct_neg", 8.0), "M23": ("count", 0.8), "M24": ("target", 90.0),
    "M25": ("score", 83.0), "M26": ("count_res", 6.0), "M27": ("count_abs", 1.5),
    "M28": ("count_pos", 2.0),
}

_PROBLEMS = {  # aspect -> [(category, description template)]
    "D1": [("政治纪律松弛", "{unit}在{year}年{month}月对上级部署存在选择性执行问题,涉及{n}项工作"),
           ("个人事项报告不实", "{unit}有{n}名干部在{year}年个人有关事项报告中漏报房产信息")],
    "D2": [("决策落实不力", "{unit}{year}年重点任务推进迟缓,{n}项任务未按期完成"),
           ("巡察整改不到位", "{unit}对{year}年巡察反馈的{n}个问题整改敷衍,存在虚假整改")],
    "D3": [("民主集中制执行不到位", "{unit}领导班子{year}年{month}月有{n}项重大事项未经集体研究"),
           ("民主生活会质量不高", "{unit}{year}年民主生活会批评与自我批评流于形式,相互提意见{n}条且不具体")],
    "D4": [("主体责任落实不力", "{unit}{year}年党风廉政建设责任清单{n}项内容未落实"),
           ("基层组织生活不规范", "{unit}所属{n}个党支部{year}年“三会一课”记录不全")],
    "D5": [("选人用人不规范", "{unit}{year}年{month}月干部选拔中有{n}处程序不规范"),
           ("干部档案问题", "{unit}{year}年干部档案专项审核发现{n}份档案信息涂改")],
    "D6": [("违规吃喝", "{unit}{year}年{month}月公务接待超标准宴请{n}次,涉及金额{amount}元"),
           ("形式主义", "{unit}{year}年各类督查检查重复报送材料{n}份,基层负担较重"),
           ("违规发放津补贴", "{unit}{year}年违规发放津补贴{n}人次,金额{amount}元")],
}
_SOURCES = ["inspection", "audit", "petition", "organisation", "discipline", "supervision"]


@dataclass
class SampleData:
    """The sample city as DataFrames (columns as in ``docs/data-model.md``)."""

    framework: pd.DataFrame
    units: pd.DataFrame
    focal_units: pd.DataFrame
    observations: pd.DataFrame
    problems: pd.DataFrame
    latent: pd.DataFrame  # unit_id, year, q — the truth the analyses should recover
    inspection_rounds: pd.DataFrame | None = None
    problem_status_history: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"units": self.units, "focal_units": self.focal_units,
               "observations": self.observations, "problems": self.problems}
        if self.inspection_rounds is not None:
            out["inspection_rounds"] = self.inspection_rounds
        if self.problem_status_history is not None:
            out["problem_status_history"] = self.problem_status_history
        return out


def _unit_table(n_units: int, first_year: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = [f"U{i:03d}" if n_units < 1000 else f"U{i:05d}" for i in range(1, n_units + 1)]
    region_idx = np.arange(n_units) % len(REGIONS)
    type_names = [t for t, _ in TYPES]
    types = rng.choice(type_names, size=n_units, p=[p for _, p in TYPES])
    types[: min(n_units, len(REGIONS))] = "county"  # one county/district per region
    names, names_en = [], []
    counters: dict[str, int] = {}
    n_stems = len(_DEPT_STEMS)
    for uid, r, t in zip(ids, region_idx, types):
        k = counters[t] = counters.get(t, 0) + 1
        # (stem, kind) pairs run through every combination before a number is needed
        stem, cycle = _DEPT_STEMS[(k - 1) % n_stems], (k - 1) // n_stems
        region = REGIONS[r].removesuffix("片区")
        if t == "county":
            name = f"{region}区" if k <= len(REGIONS) else f"{_DEPT_STEMS[(k - 1 - len(REGIONS)) % n_stems]}县"
        elif t == "department":
            name = f"示例市{stem}{_DEPT_KINDS[cycle % len(_DEPT_KINDS)]}"
        elif t == "enterprise":
            name = f"示例市{stem}{_ENT_KINDS[cycle % len(_ENT_KINDS)]}"
        else:
            name = f"示例{stem}{_COLLEGE_KINDS[cycle % len(_COLLEGE_KINDS)]}"
        name = f"{name}{k}" if name in names else name
        names.append(name)
        names_en.append(f"{t.title()} {uid} ({REGIONS_EN[r]})")
    staff = np.round(np.exp(rng.normal(5.3, 0.6, n_units))).astype(int) + 20
    party = np.maximum(5, np.round(staff * rng.uniform(0.3, 0.7, n_units))).astype(int)
    residents = np.where(types == "county", np.round(np.exp(rng.normal(12.6, 0.4, n_units)), -2),
                         staff * 120).astype(int)
    units = pd.DataFrame({
        "unit_id": ids, "name_zh": names, "name_en": names_en, "type": types,
        "region": [f"R{r + 1:02d}" for r in region_idx], "staff": staff, "party_members": party,
        "residents": residents, "valid_from": pd.array([pd.NA] * n_units, dtype="Int64"),
        "valid_to": pd.array([pd.NA] * n_units, dtype="Int64"), "successor_id": "",
    })
    if n_units >= 5:  # U005 is renamed in 2022
        old = units.index[units.unit_id == ids[4]][0]
        new_row = units.loc[[old]].copy()
        old_name = units.loc[old, "name_zh"]
        new_row["name_zh"] = (old_name.removesuffix("区") + "新区" if units.loc[old, "type"] == "county"
                              else f"示例市{_DEPT_STEMS[-1]}综合服务中心")
        new_row["valid_from"] = 2022
        units.loc[old, "valid_to"] = 2021
        units = pd.concat([units, new_row], ignore_index=True)
    return units


def _latent(units: pd.DataFrame, years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ids = units.drop_duplicates("unit_id")
    a = rng.normal(0.0, 1.0, len(ids))
    t = years - years[0]
    q = a[:, None] + rng.normal(0.0, 0.25, (len(ids), len(years)))
    q[(ids.region == "R03").to_numpy(), :] += 0.35 * t
    uid = ids.unit_id.to_numpy()
    q[uid == "U017", :] -= 0.6 * np.clip(years - 2020, 0, None)
    q[uid == "U030", :] -= 1.5 * (years >= 2022)
    return q


AREAS = {"county": "区县工作", "college": "教育工作", "enterprise": "国资国企"}
_DEPT_AREAS = ["党群工作", "政法工作", "经济工作", "社会事业"]


def _unit_attributes(units: pd.DataFrame) -> pd.DataFrame:
    """A numeric attribute usable as a denominator (``budget``, annual budget in 10,000 yuan =
    25 × staff). Deterministic: no random draw, so the rest of the sample is the same with or without it."""
    return units.assign(budget=units.staff.astype(float) * 25.0)


def _areas(units: pd.DataFrame) -> pd.DataFrame:
    """The leadership area (分管领域) of every unit: departments are spread over the areas, the
    other types follow their kind. Deterministic: no random draw."""
    first = units.drop_duplicates("unit_id").reset_index(drop=True)
    dept = {u: _DEPT_AREAS[i % len(_DEPT_AREAS)] for i, u in enumerate(first.unit_id[first.type == "department"])}
    return units.assign(area=units.unit_id.map(dept).fillna(units.type.map(AREAS)).fillna("其他"))


def generate(n_units: int = 80, years=range(2019, 2025), seed: int = 20241,
             unit_attributes: bool = False) -> SampleData:
    """Generate the sample city deterministically (same arguments → identical tables).

    Every unit has its leadership area (``area``, 分管领域). ``unit_attributes`` adds a numeric
    ``budget`` column (a denominator other than the size fields, for the library's tests).
    """
    rng = np.random.default_rng(seed)
    years = np.asarray(list(years), dtype=int)
    fw = fwmod.load_framework()
    units = _areas(_unit_table(n_units, int(years[0]), rng))
    if unit_attributes:
        units = _unit_attributes(units)
    ids = units.drop_duplicates("unit_id")
    q = _latent(units, years, rng)
    U, T = q.shape
    staff = ids.staff.to_numpy(float)[:, None] * np.ones((1, T))
    residents = ids.residents.to_numpy(float)[:, None] * np.ones((1, T))

    leaves = fwmod.leaves(fw).set_index("code")
    frames = []
    for code, (kind, base) in _LEAF_MODEL.items():
        quarterly = leaves.loc[code, "frequency"] == "quarterly"
        periods = ["Q1", "Q2", "Q3", "Q4"] if quarterly else ["Y"]
        P = len(periods)
        shape = (U, T, P)
        qq = q[:, :, None]
        if kind in ("count", "count_abs", "count_res", "count_pos"):
            size = {"count": staff / 100, "count_res": residents / 10000}.get(kind, np.ones((U, T)))
            sign = 1.0 if kind == "count_pos" else -1.0
            lam = base * size[:, :, None] * np.exp(sign * 0.35 * qq) / P
            vals = rng.poisson(np.broadcast_to(lam, shape)).astype(float)
        elif kind == "pct_pos" or kind == "score":
            vals = np.clip(base + 4.0 * qq + rng.normal(0, 3.0, shape), 0, 100).round(1)
        elif kind == "pct_neg":
            vals = np.clip(base - 2.0 * qq + rng.normal(0, 1.5, shape), 0, 100).round(1)
        elif kind == "stock":  # cumulative within the year: the last quarter is the yearly value
            final = np.clip(base + 4.0 * qq + rng.normal(0, 3.0, (U, T, 1)), 0, 100)
            vals = np.clip(final * np.array([0.35, 0.6, 0.8, 1.0])[None, None, :P]
                           + rng.normal(0, 1.0, shape), 0, 100).round(1)
        elif kind == "target":
            spread = 6.0 * np.exp(-0.3 * qq)
            vals = np.clip(base + spread * rng.normal(0, 1.0, shape), 0, 150).round(1)
        else:  # pragma: no cover - the table above is closed
            raise ValueError(kind)
        if code in ("M07", "M09"):  # planted outliers
            vals[[i for i in (3, 11, 25) if i < U], -2, :] *= 12
        frames.append(_long(ids.unit_id.to_numpy(), years, periods, code, vals,
                            leaves.loc[code, "lead_department"]))
    red = np.zeros((U, T, 4))
    uid = ids.unit_id.to_numpy()
    if (uid == "U042").any() and 2023 in years:
        red[uid == "U042", list(years).index(2023), 2] = 1
    frames.append(_long(uid, years, ["Q1", "Q2", "Q3", "Q4"], "RL1", red,
                        leaves_red(fw).loc["RL1", "lead_department"]))
    obs = pd.concat(frames, ignore_index=True)
    obs = obs[~((obs.indicator == "M22") & (obs.year == 2021))].reset_index(drop=True)
    obs["note"] = ""

    latent = pd.DataFrame({"unit_id": np.repeat(uid, T), "year": np.tile(years, U), "q": q.ravel()})
    focal = (latent.sort_values(["year", "q"]).groupby("year").head(max(1, round(U * 0.2)))
             .assign(reason="综合研判靠后 / low assessment")[["unit_id", "year", "reason"]]
             .sort_values(["year", "unit_id"]).reset_index(drop=True))
    problems = _problems(ids, years, q, rng)
    # rounds and histories draw from their own stream, so every table above is unchanged
    rounds, problems, history = _rounds_and_history(problems, years, np.random.default_rng([seed, 18]))
    return SampleData(fw, units.reset_index(drop=True), focal, obs, problems, latent, rounds, history)


def leaves_red(fw: pd.DataFrame) -> pd.DataFrame:
    return fwmod.leaves(fw, "red_line").set_index("code")


def _long(uid, years, periods, code, vals, source) -> pd.DataFrame:
    U, T, P = vals.shape
    return pd.DataFrame({
        "unit_id": np.repeat(uid, T * P),
        "year": np.tile(np.repeat(years, P), U),
        "period": np.tile(periods, U * T),
        "indicator": code,
        "value": vals.ravel(),
        "source": source,
    })


def _problems(ids: pd.DataFrame, years: np.ndarray, q: np.ndarray, rng) -> pd.DataFrame:
    """About 300 problems over six years for 80 units; weaker units get more."""
    # about 0.7 problems per unit-year on average: E[exp(-q/2)] = exp(1/8) for q ~ N(0, 1)
    counts = rng.poisson(0.7 * np.exp(-0.5 * q) / np.exp(0.125))
    u, t = np.nonzero(counts)
    u, t = np.repeat(u, counts[u, t]), np.repeat(t, counts[u, t])
    n = len(u)
    year = years[t]
    catalogue = [(a, c, tpl) for a, items in _PROBLEMS.items() for c, tpl in items]
    aspect_idx = rng.integers(len(_PROBLEMS), size=n)
    # work-style (D6) problems are more common in colleges: the example topic on the education system
    college = ids.type.to_numpy()[u] == "college"
    aspect_idx[college & (rng.random(n) < 0.4)] = list(_PROBLEMS).index("D6")
    pick = np.array([rng.integers(len(_PROBLEMS[a])) for a in np.array(list(_PROBLEMS))[aspect_idx]], dtype=int)
    offset = np.cumsum([0] + [len(v) for v in _PROBLEMS.values()])[:-1]
    entry = offset[aspect_idx] + pick
    month, k, amount = rng.integers(1, 13, n), rng.integers(2, 9, n), rng.integers(3, 60, n) * 100
    names = ids.name_zh.to_numpy()[u]
    desc = [catalogue[e][2].format(unit=nm, year=y, month=m, n=kk, amount=a)
            for e, nm, y, m, kk, a in zip(entry, names, year, month, k, amount)]
    deadline = pd.to_datetime(pd.DataFrame({"year": year + 1, "month": rng.integers(1, 7, n), "day": 28}))
    rectified = rng.random(n) < np.where(year < years[-1], 0.9, 0.5)
    done = deadline - pd.to_timedelta(rng.integers(-40, 120, n), unit="D")
    kept = rng.random(n) < 0.85
    return pd.DataFrame({
        "problem_id": [f"P{y}-{i:05d}" for i, y in enumerate(year, start=1)],
        "unit_id": ids.unit_id.to_numpy()[u], "year": year,
        "source": np.array(_SOURCES)[rng.integers(len(_SOURCES), size=n)],
        "aspect": [catalogue[e][0] for e in entry], "category": [catalogue[e][1] for e in entry],
        "description": desc,
        "severity": np.array(["low", "medium", "high"])[rng.choice(3, size=n, p=[0.5, 0.35, 0.15])],
        "status": np.where(rectified, "rectified", np.where(rng.random(n) < 0.6, "rectifying", "open")),
        "deadline": deadline, "rectified_on": done.where(rectified),
        "kept": kept, "fed_back": kept & (rng.random(n) < 0.95),
    })

def _rounds_and_history(problems: pd.DataFrame, years: np.ndarray, rng: np.random.Generator):
    """Inspection rounds, the round of each inspection finding, and every problem's status history.

    Two regular rounds a year (March–May, August–October); in the last year a re-check round
    (January) of the previous year's second round, which sets back half of the items reported
    rectified before it and finished only after it (at least one). A finding is fed back at the end of its round
    (``found_on``; other problems at the end of their year, or two weeks before an earlier
    completion). Histories end in the status and completion date already drawn for the
    problem, so the status derived from the history equals the table's.
    """
    from .problems import current_status

    rows = []
    for y in years:
        rows.append((f"XC{y}-1", y, f"{y} 年第一轮巡察", f"{y} inspection round 1", "regular", None,
                     f"{y}-03-01", f"{y}-05-31"))
        rows.append((f"XC{y}-2", y, f"{y} 年第二轮巡察", f"{y} inspection round 2", "regular", None,
                     f"{y}-08-01", f"{y}-10-31"))
    last = int(years[-1])
    recheck = None
    if len(years) > 1:
        recheck = f"XC{last}-H"
        rows.append((recheck, last, f"{last} 年巡察整改“回头看”", f"{last} re-check of round {last - 1}-2", "recheck",
                     f"XC{last - 1}-2", f"{last}-01-02", f"{last}-01-31"))
    rounds = pd.DataFrame(rows, columns=["round_id", "year", "name_zh", "name_en", "kind", "rechecks",
                                         "start_on", "end_on"])
    for c in ("start_on", "end_on"):
        rounds[c] = pd.to_datetime(rounds[c])
    rounds["year"] = rounds.year.astype("int64")
    p = problems.copy()
    n = len(p)
    insp = (p.source == "inspection").to_numpy()
    second = rng.random(n) < 0.5
    p["round_id"] = np.where(insp, [f"XC{y}-{2 if s else 1}" for y, s in zip(p.year, second)], None)
    ends = rounds.set_index("round_id")
    done = pd.to_datetime(p.rectified_on)
    year_end = pd.to_datetime(p.year.astype(str) + "-12-31")
    end = p.round_id.map(ends.end_on)
    start = p.round_id.map(ends.start_on)
    found = end.where(done.isna() | (done > end), start).where(p.round_id.notna(), year_end)
    found = found.where(done.isna() | (done > found), done - pd.Timedelta(days=14))
    u1, u2 = rng.random(n), rng.random(n)
    check_on = ends.end_on.get(recheck) if recheck else None
    checked = ends.rechecks.get(recheck) if recheck else None
    eligible = ((p.round_id == checked) & (p.status == "rectified") & (done > (check_on or done.max())
                                                                       + pd.Timedelta(days=10))).to_numpy()
    # the re-check sets back half of the items it finds reported rectified too early, at least one
    reopen = eligible & ((u2 < 0.5) | (np.cumsum(eligible) == 1))
    hist = []
    for i, r in enumerate(p.itertuples(index=False)):
        f, d = found.iloc[i], done.iloc[i]
        events = [(f, "open", r.round_id, "问题清单反馈 / findings fed back")]
        if r.status == "rectifying":
            events.append((f + pd.Timedelta(days=10 + int(50 * u1[i])), "rectifying", r.round_id,
                           "制定整改方案,正在整改 / rectification plan in progress"))
        elif r.status == "rectified":
            if reopen[i]:
                events.append((f + (check_on - f) / 2, "rectified", r.round_id, "报告整改完成 / reported rectified"))
            elif u1[i] < 0.7 and (d - f).days > 2:
                events.append((f + (d - f) * (0.2 + 0.4 * u2[i]), "rectifying", r.round_id,
                               "制定整改方案,正在整改 / rectification plan in progress"))
            events.append((d, "rectified", r.round_id, "整改完成,已销号 / rectified and closed"))
        events = [(pd.Timestamp(t).normalize(), *rest) for t, *rest in events]
        if recheck and r.round_id == ends.rechecks.get(recheck) and check_on >= f:
            before = [e for e in events if e[0] <= check_on]
            status_then = before[-1][1]
            if reopen[i]:
                status_then, note = "rectifying", "回头看发现整改不到位,重新整改 / re-check: not rectified, reopened"
            elif status_then == "rectified":
                note = "回头看核查:整改到位 / re-check: rectification confirmed"
            else:
                note = "回头看:尚未完成整改,继续督促 / re-check: still outstanding"
            events.append((check_on, status_then, recheck, note))
        events.sort(key=lambda e: (e[0], {"open": 0, "rectifying": 1, "rectified": 2}[e[1]]))
        hist += [(r.problem_id, st, t, rd, note) for t, st, rd, note in events]
    history = pd.DataFrame(hist, columns=["problem_id", "status", "status_on", "round_id", "note"])
    history = history.drop_duplicates(["problem_id", "status_on", "status"], keep="last").reset_index(drop=True)
    cur = current_status(history).set_index("problem_id")
    p["status_on"] = p.problem_id.map(cur.status_on)
    return rounds, p, history


def _with_chinese_codes(problems: pd.DataFrame) -> pd.DataFrame:
    """The inspection office's rows written with Chinese codes (巡察, 高, 整改中, 作风建设)."""
    from . import codes

    out = problems.copy()
    zh = out.source == "inspection"
    for col, name in (("source", "source"), ("severity", "severity"), ("status", "status"), ("aspect", "aspect")):
        out[col] = out[col].astype(object)
        out.loc[zh, col] = out.loc[zh, col].map(lambda v, n=name: codes.label(n, v, "zh"))
    return out


def write_files(data: SampleData, out_dir) -> list:
    """Write the sample's tables as UTF-8 CSV files (plus a README) and return their paths,
    units first, in the order they must be ingested."""
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "README.md").write_text(
        f"# {SYNTHETIC_LABEL}\n\n这些文件是虚构的示例数据,由 `analysis sample` 按固定随机种子生成,"
        "不描述任何真实地区、单位或个人。\nThese files are synthetic sample data generated by `analysis sample`; "
        "they describe no real place, unit or person.\n\nPlanted effects: see the docstring of `analysis.sample`.\n",
        encoding="utf-8")
    paths = []
    for name, frame in data.tables().items():
        if name == "problems":
            frame = _with_chinese_codes(frame)
        elif name == "inspection_rounds":
            frame = frame.assign(kind=frame.kind.map({"regular": "常规巡察", "recheck": "回头看"}))
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")
        paths.append(path)
    return paths
