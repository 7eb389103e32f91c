"""Invented Chinese place names for the sample city, drawn deterministically.

Names are built from short syllable lists (stems such as 东山, 夷陵, 桃花 …)
plus a generic ending (路, 大道, 小区, 街道, 社区 …). Nothing here names a real
street or compound on purpose; sub-district and neighbourhood lists start with
names used in Xiling district so the sample reads like the place it imitates.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

_FIRST = ("东西南北新夷云珍桃柏临樵滨学隆峡得福康宁均长育解胜黄沿兴白万宝"
          "青绿金紫红铁文建光和平望清松杨梅荷樟丰顺嘉乐永锦玉春秋古")
_SECOND = "山陵湖江园湾桥岭坡林峰河溪港台坝门苑城州阳华泉亭塘洲坪口堤岗岩井场花湖"
_ORDINALS = ("", "一", "二", "三", "四", "五")
_CN_NUM = "一二三四五六七八九十"
_AFFORDABLE = ("经济适用房小区", "公租房小区", "廉租房小区", "保障房小区")

SUBDISTRICTS = {
    "420502": ("西陵街道", "学院街道", "云集街道", "西坝街道", "葛洲坝街道", "夜明珠街道",
               "窑湾街道", "北苑街道", "夷陵路街道"),
    "420503": ("大公桥街道", "万寿桥街道", "宝塔河街道", "伍家岗街道"),
}
# Neighbourhoods named in the Yichang plan's co-creation pilot list.
PILOT_NEIGHBOURHOODS = {"420502": ("石板溪社区", "四方堰社区"),
                        "420503": ("宝联社区", "港务社区")}

_FACTORY_PREFIX = ("宜昌", "市", "第一", "第二", "第三", "红旗", "东方", "长江", "三峡")
_FACTORY = ("纺织", "机械", "化工", "造纸", "玻璃", "印刷", "制药", "电缆", "食品", "水泥",
            "轴承", "柴油机", "齿轮", "橡胶", "针织", "印染", "丝绸", "棉纺", "罐头", "变压器",
            "电机", "船舶修造")
UNITS = ("粮食局", "供电局", "邮电局", "交通局", "水文站", "地质大队", "港务局", "航运公司",
         "葛洲坝工程局", "物资局", "税务局", "卫生局", "建设银行", "农业银行", "市一医院",
         "气象局", "公路段", "车务段", "热电厂", "商业局", "商业储运公司", "教育局")


@lru_cache(maxsize=1)
def stems() -> tuple[str, ...]:
    """All two-character stems (about 2,600), in a fixed order."""
    first = list(dict.fromkeys(_FIRST))
    second = list(dict.fromkeys(_SECOND))
    return tuple(a + b for a in first for b in second if a != b)


def _pick(rng: np.random.Generator, n: int, space: int) -> np.ndarray:
    """``n`` indices into ``range(space)``, distinct when the space is big enough."""
    if n <= space:
        return rng.choice(space, size=n, replace=False)
    return rng.integers(0, space, size=n)


def stem_array(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` stems, distinct when possible."""
    all_stems = np.array(stems(), dtype=object)
    return all_stems[_pick(rng, n, len(all_stems))]


def road_names(rng: np.random.Generator, classes: np.ndarray) -> np.ndarray:
    """A name per road segment: stem + optional ordinal + ending by road class."""
    n = len(classes)
    all_stems = stems()
    ns = len(all_stems)
    if n <= ns:
        stem_idx = rng.choice(ns, size=n, replace=False)
        ordinal = np.zeros(n, dtype=int)
    else:
        flat = _pick(rng, n, ns * len(_ORDINALS))
        stem_idx, ordinal = flat % ns, flat // ns
    coin = rng.random(n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        cls = classes[i]
        stem = all_stems[stem_idx[i]] + _ORDINALS[ordinal[i]]
        if cls == "arterial":
            end = "大道" if (coin[i] < 0.5 and ordinal[i] == 0) else "路"
        elif cls == "secondary":
            end = "路" if coin[i] < 0.7 else "街"
        elif cls == "branch":
            end = "路" if coin[i] < 0.5 else "街"
        elif cls == "lane":
            end = "巷"
        else:
            end = "梯道" if coin[i] < 0.4 else "步行街"
        out[i] = stem + end
    return out


def subdistrict_names(rng: np.random.Generator, district_code: str, n: int,
                      taken: set[str] | None = None) -> list[str]:
    """``n`` sub-district names for a district: the real list first, then invented ones.

    Names in ``taken`` (e.g. another district's) are avoided; ``taken`` is updated.
    """
    taken = set() if taken is None else taken
    real = [name for name in SUBDISTRICTS.get(district_code, ()) if name not in taken]
    order = rng.permutation(len(real))
    names = [real[i] for i in order][:n]
    taken.update(names)
    for stem in stem_array(rng, 3 * n + 10):
        if len(names) >= n:
            break
        name = stem + "街道"
        if name not in taken:
            names.append(name)
            taken.add(name)
    return names


def neighbourhood_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` neighbourhood committee names (…社区), distinct when possible."""
    all_stems = stems()
    ns = len(all_stems)
    flat = _pick(rng, n, ns * len(_ORDINALS))
    return np.array([all_stems[f % ns] + _ORDINALS[f // ns] + "社区" for f in flat],
                    dtype=object)


def community_names(rng: np.random.Generator, property_type: np.ndarray,
                    year: np.ndarray, street: np.ndarray) -> np.ndarray:
    """A name per community, its pattern chosen by property type and age."""
    n = len(property_type)
    stem = stem_array(rng, n)
    roll = rng.random(n)
    number = rng.integers(1, 200, n)
    fac_pre = rng.integers(0, len(_FACTORY_PREFIX), n)
    fac = rng.integers(0, len(_FACTORY), n)
    unit = rng.integers(0, len(UNITS), n)
    ending = rng.integers(0, 4, n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        pt, r = property_type[i], roll[i]
        if pt == "work_unit":
            if r < 0.45:
                out[i] = f"{_FACTORY_PREFIX[fac_pre[i]]}{_FACTORY[fac[i]]}厂宿舍"
            elif r < 0.8:
                out[i] = f"{UNITS[unit[i]]}家属院"
            else:
                out[i] = f"{street[i]}{number[i]}号院"
        elif pt == "resettlement":
            out[i] = stem[i] + ("安置小区" if r < 0.6 else "还建小区")
        elif pt == "affordable":
            out[i] = stem[i] + _AFFORDABLE[ending[i]]
        elif pt == "commercial" and year[i] >= 2000:
            out[i] = stem[i] + ("花园", "苑", "家园", "小区")[ending[i]]
        elif pt == "commercial":
            out[i] = stem[i] + ("小区" if r < 0.6 else "新村")
        else:
            out[i] = f"{street[i]}{number[i]}号院" if r < 0.5 else stem[i] + "小区"
    return out


def facility_prefix_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stems for facilities that stand outside communities."""
    return stem_array(rng, n)


def parcel_unit_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Former owners of public buildings: work units and factories."""
    unit = rng.integers(0, len(UNITS), n)
    fac = rng.integers(0, len(_FACTORY), n)
    use_factory = rng.random(n) < 0.4
    return np.array([(_FACTORY[fac[i]] + "厂") if use_factory[i] else UNITS[unit[i]]
                     for i in range(n)], dtype=object)


def dedupe(names: np.ndarray) -> np.ndarray:
    """Make names unique by adding 二期, 三期 … (or （n）) to repeats, in order."""
    s = pd.Series(names, dtype=object)
    k = s.groupby(s, sort=False).cumcount().to_numpy()
    out = s.to_numpy(dtype=object).copy()
    for i in np.flatnonzero(k):
        suffix = f"{_CN_NUM[k[i]]}期" if k[i] < 10 else f"（{k[i] + 1}）"
        out[i] = f"{out[i]}{suffix}"
    # A suffixed name can collide with a real one; number what is still repeated.
    s2 = pd.Series(out, dtype=object)
    k2 = s2.groupby(s2, sort=False).cumcount().to_numpy()
    for i in np.flatnonzero(k2):
        out[i] = f"{out[i]}（{k2[i] + 1}）"
    return out
