"""Helpers for checking the exported HTML map in Debian's headless Chromium (driven by
playwright, which never downloads a browser): a page opened from a file with every request
recorded and none let out, analysed sample projects built once per run, and an independent
reference of what a click hits (shapely in the project's CRS, not the page's script)."""

from __future__ import annotations

import contextlib
import io
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
               "--host-resolver-rules=MAP * ~NOTFOUND"]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)


class Page:
    """A page opened from a file with the network blocked and every request recorded."""

    def __init__(self, browser, path: Path, width: int = 1000, height: int = 700,
                 ready: bool = True) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        context = browser.new_context(viewport={"width": width, "height": height},
                                      service_workers="block")
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url, wait_until="load", timeout=120_000)
        if ready:  # our script has drawn the map
            self.page.wait_for_function("window.ppMap !== undefined", timeout=120_000)

    def _route(self, route) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def outside_requests(self) -> list[str]:
        """Requests for anything but the page itself or inline data."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]

    def view(self, lon: float, lat: float, zoom: int) -> None:
        self.page.evaluate(
            "([lat, lon, z]) => { ppMap.map.setView([lat, lon], z, {animate: false}); }",
            [lat, lon, zoom])
        self.page.wait_for_timeout(50)

    def click(self, lon: float, lat: float) -> list[tuple[str, int]]:
        """Click the screen where (lon, lat) is; the popup's list as (layer id, feature id)."""
        x, y = self.page.evaluate(
            "([lat, lon]) => { var p = ppMap.map.latLngToContainerPoint([lat, lon]);"
            " return [p.x, p.y]; }", [lat, lon])
        self.page.evaluate("() => { ppMap.map.closePopup(); }")
        self.page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")
        box = self.page.locator(".leaflet-container").bounding_box()
        self.page.mouse.click(box["x"] + x, box["y"] + y)
        popup = self.page.locator(".leaflet-popup-content .pp-popup")
        popup.wait_for(timeout=10_000)
        items = popup.locator("details.pp-hit")
        return [(items.nth(i).get_attribute("data-layer"), int(items.nth(i).get_attribute("data-fid")))
                for i in range(items.count())]

    def popup_text(self) -> str:
        return self.page.inner_text(".leaflet-popup-content")


# --- what a click should hit, by shapely ---------------------------------------------------
FAMILY_RANK = {"point": 0, "line": 1, "polygon": 2}


@dataclass
class Reference:
    """Features a click certainly hits (in the page's order) and those it may or may not (a
    hair from an edge: the page's click lands on a whole pixel)."""

    sure: list[tuple[str, int]]
    unsure: set[tuple[str, int]]


def metres_per_pixel(lat: float, zoom: int) -> float:
    return 156543.03392 * math.cos(math.radians(lat)) / 2 ** zoom


def _family(geom) -> str:
    return {0: "point", 4: "point", 1: "line", 5: "line", 3: "polygon", 6: "polygon"}[
        int(shapely.get_type_id(geom))]


def _drawn(layer, geoms: np.ndarray) -> np.ndarray:
    """What the page draws: service areas by their outer boundary (holes filled)."""
    if layer.kind != "service_areas":
        return geoms
    parts, index = shapely.get_parts(geoms, return_index=True)
    shells = shapely.polygons(shapely.get_exterior_ring(parts))
    return np.array([shapely.union_all(shells[index == i]) for i in range(len(geoms))],
                    dtype=object)


class Identify:
    """What a click hits, worked out with shapely on the project's layers (an independent
    reference for the page's script): every visible feature under the click, points first,
    then lines, then polygons, each group top layer first."""

    def __init__(self, project, hit_px: float) -> None:
        from layers.exports.common import is_vector, layer_style

        self.project, self.hit_px = project, hit_px
        self.to_ll = Transformer.from_crs(project.crs, "EPSG:4326", always_xy=True)
        self.layers = []
        for i, layer in enumerate(project.layers):
            if not is_vector(layer) or not layer.visible:
                continue
            style, resolved = layer_style(project, layer)
            geoms = _drawn(layer, np.asarray(layer.gdf.geometry.array, dtype=object))
            ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
            family = np.array([_family(g) if k else "" for g, k in zip(geoms, ok, strict=True)])
            width = np.where(family == "point", resolved.marker_size, resolved.stroke_width)
            if not (layer.kind == "service_areas" and style.get("field") != "theme"):
                # a feature its (theme's) style draws with nothing is not there to click
                outline = (resolved.stroke[:, 3] > 0) & (
                    (resolved.stroke_width > 0) | (family == "point"))
                inked = (resolved.fill[:, 3] > 0) | outline
                ok &= inked & ((family != "line") | (resolved.stroke[:, 3] > 0))
            limit = (np.full(len(geoms), np.inf) if resolved.max_mpp is None
                     else np.asarray(resolved.max_mpp, dtype=float))
            self.layers.append((f"l{i}", -i, geoms, family, width, layer.gdf.index.to_numpy(),
                                shapely.STRtree(np.where(ok, geoms, None)), limit))

    def at(self, x: float, y: float, zoom: int, margin_m: float = 1.5) -> Reference:
        lon, lat = self.to_ll.transform(x, y)
        mpp = metres_per_pixel(lat, zoom)  # ground metres per screen pixel at the click
        here = shapely.Point(x, y)
        sure, unsure = [], set()
        for lid, order, geoms, family, width, fids, tree, limit in self.layers:
            far = (float(width.max(initial=0)) / 2 + self.hit_px) * mpp + margin_m
            for row in tree.query(here.buffer(far)):
                geom, fam = geoms[row], family[row]
                if limit[row] < mpp:  # thinned out at this scale (a style's max_mpp)
                    continue
                if fam == "polygon":
                    edge = shapely.distance(here, geom.boundary)
                    inside = geom.contains(here)
                else:
                    reach = (width[row] / 2 + self.hit_px) * mpp
                    gap = shapely.distance(here, geom)
                    edge, inside = abs(gap - reach), gap <= reach
                key = (lid, int(fids[row]))
                if edge < margin_m:
                    unsure.add(key)
                elif inside:
                    sure.append((FAMILY_RANK[fam], order, int(fids[row]), key))
        return Reference([k for *_, k in sorted(sure)], unsure)

    def clear_spot(self, geom, zoom: int, margin_m: float = 2.0):
        """A point inside ``geom`` where nothing is a hair from a click's reach (searched on
        a grid over the geometry): (x, y, reference), or None."""
        x0, y0, x1, y1 = geom.bounds
        for fx in np.linspace(0.15, 0.85, 8):
            for fy in np.linspace(0.15, 0.85, 8):
                x, y = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
                if not geom.contains(shapely.Point(x, y)):
                    continue
                ref = self.at(x, y, zoom, margin_m)
                if not ref.unsure:
                    return x, y, ref
        return None


def assert_lists(listed: list, ref: Reference) -> None:
    """The popup lists every feature surely under the click, in the reference's order, and
    nothing that is not under it (a hair from an edge may go either way)."""
    sure = set(ref.sure)
    assert [k for k in listed if k in sure] == ref.sure, (listed, ref)
    assert set(listed) <= sure | ref.unsure, (listed, ref)


def check_clicks(page: Page, project, zoom: int = 17) -> dict[str, list]:
    """Click a community, a precinct and a facility of ``project`` (each at a spot clear of
    every edge) and check each popup against :class:`Identify`; the lists, by kind."""
    identify = Identify(project, page.page.evaluate("ppMap.hitPx"))
    names, out = project.names(), {}
    for kind in ("communities", "precincts"):
        layer = project.layers_of_kind(kind)[0]
        found = next(f for g in layer.gdf.geometry.iloc[::7]
                     if (f := identify.clear_spot(g, zoom)) is not None)
        x, y, ref = found
        lon, lat = lonlat(project, x, y)
        page.view(lon, lat, zoom)
        out[kind] = listed = page.click(lon, lat)
        assert_lists(listed, ref)
        assert any(lid == f"l{names.index(layer.name)}" for lid, _ in listed), kind
    facilities = project.layers_of_kind("facilities")[0]
    index, point, ref = next((i, pt, ref) for i, pt in facilities.gdf.geometry.items()
                             if not (ref := identify.at(pt.x, pt.y, zoom)).unsure)
    lon, lat = lonlat(project, point.x, point.y)
    page.view(lon, lat, zoom)
    out["facilities"] = listed = page.click(lon, lat)
    assert_lists(listed, ref)
    assert listed[0] == (f"l{names.index(facilities.name)}", int(index))  # the point first
    assert len(listed) > 1  # and what lies under it
    assert str(facilities.gdf.loc[index, "name"]) in page.popup_text()
    return out


def lonlat(project, x: float, y: float) -> tuple[float, float]:
    return Transformer.from_crs(project.crs, "EPSG:4326", always_xy=True).transform(x, y)


# --- analysed samples, built once per run ----------------------------------------------------
_BUILT: dict[str, Path] = {}
MID = dict(street_edges=10_000, communities=300, facilities=90, parcels=50,
           pipes_per_utility=1_500, blocks_per_subdistrict=100)


def analysed_sample(scale: str, folder: Path) -> Path:
    """The sample city saved with coverage, conflicts and precincts, as a user makes it
    (``coverage --save``, ``conflicts --save``, ``precincts --auto --save``); ``mid`` is a
    smaller city of this test module's own (over 20,000 features). Built once per run."""
    if scale in _BUILT and _BUILT[scale].exists():
        return _BUILT[scale]
    from app.cli.main import main
    from layers.demo import build_sample_project
    from layers.sample.scales import SCALES, ScaleParams
    from layers.store import save_project

    path = folder / f"{scale}.gpkg"
    if scale == "mid":
        SCALES["mid"] = ScaleParams(**MID)
        try:
            save_project(build_sample_project("mid", 0), path)
        finally:
            del SCALES["mid"]
    else:
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["demo", "--scale", scale, "--seed", "0", "--out", str(path)]) == 0
    for argv in (["coverage", str(path), "--save"], ["conflicts", str(path), "--save"],
                 ["precincts", str(path), "--auto", "--min-population", "5000", "--save"]):
        with contextlib.redirect_stdout(io.StringIO()):  # the reports are not what is tested
            assert main([*argv, "--json"]) == 0, argv
    _BUILT[scale] = path
    return path
