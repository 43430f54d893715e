//! Geo support: conversion to `geo` types, the cell index, and the exact predicates.
//!
//! The index is a quadtree over longitude/latitude. A geometry is covered by a few cells of
//! one level chosen from its bounding box; it is indexed under each cover cell (`C` tokens)
//! and under every cover cell and its ancestors (`A` tokens). A query region, covered the
//! same way, finds every indexed geometry whose cover meets its own: `A(q)` for each query
//! cell `q` (indexed cells inside `q`) plus `C(a)` for every strict ancestor `a` of `q`
//! (indexed cells containing `q`). Candidates are then checked with exact predicates.

use geo::{
    BoundingRect, Closest, Contains, Distance, Haversine, HaversineClosestPoint, Intersects,
};
use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};

use crate::value::{Geo, GeoPoint, GeoPolygon};

/// Deepest quadtree level (cells about 2.4 m wide in longitude at the equator).
pub const MAX_LEVEL: u8 = 24;
/// Level used for points.
const POINT_LEVEL: u8 = 18;
/// Most cells in a cover.
const MAX_COVER: usize = 16;
/// Mean earth radius used for metre/degree conversion (as in haversine).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A quadtree cell: `level` and integer coordinates `x`, `y` in `0..2^level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    /// Depth, 0 = whole world.
    pub level: u8,
    /// Column (longitude).
    pub x: u32,
    /// Row (latitude).
    pub y: u32,
}

impl Cell {
    /// The 8-byte token of this cell.
    pub fn token(self) -> [u8; 8] {
        ((u64::from(self.level) << 56) | (u64::from(self.x) << 28) | u64::from(self.y))
            .to_be_bytes()
    }

    /// The cell one level up, if any.
    pub fn parent(self) -> Option<Cell> {
        (self.level > 0).then(|| Cell {
            level: self.level - 1,
            x: self.x >> 1,
            y: self.y >> 1,
        })
    }
}

fn lon_index(lon: f64, level: u8) -> u32 {
    let n = 1u64 << level;
    let f = ((lon + 180.0) / 360.0 * n as f64).floor();
    f.clamp(0.0, (n - 1) as f64) as u32
}

fn lat_index(lat: f64, level: u8) -> u32 {
    let n = 1u64 << level;
    let f = ((lat + 90.0) / 180.0 * n as f64).floor();
    f.clamp(0.0, (n - 1) as f64) as u32
}

/// A bounding box in degrees (never crossing the antimeridian).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// West edge.
    pub min_lon: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lon: f64,
    /// North edge.
    pub max_lat: f64,
}

/// Cells covering `bbox`: the deepest level at which at most [`MAX_COVER`] cells do.
pub fn cover_bbox(b: BBox) -> Vec<Cell> {
    let mut level = MAX_LEVEL;
    loop {
        let (xa, xb) = (lon_index(b.min_lon, level), lon_index(b.max_lon, level));
        let (ya, yb) = (lat_index(b.min_lat, level), lat_index(b.max_lat, level));
        let (x0, x1) = (xa.min(xb), xa.max(xb));
        let (y0, y1) = (ya.min(yb), ya.max(yb));
        let count = (x1 - x0 + 1) as usize * (y1 - y0 + 1) as usize;
        if count <= MAX_COVER || level == 0 {
            let mut out = Vec::with_capacity(count);
            for x in x0..=x1 {
                for y in y0..=y1 {
                    out.push(Cell { level, x, y });
                }
            }
            return out;
        }
        level -= 1;
    }
}

/// The level-0 cell: the whole world.
const ROOT: Cell = Cell {
    level: 0,
    x: 0,
    y: 0,
};

fn point_in_range(p: &GeoPoint) -> bool {
    (-180.0..=180.0).contains(&p.longitude) && (-90.0..=90.0).contains(&p.latitude)
}

/// Whether every coordinate of `g` is within longitude ±180 and latitude ±90.
fn in_range(g: &Geo) -> bool {
    let poly = |p: &GeoPolygon| p.iter().flatten().all(point_in_range);
    match g {
        Geo::Point(p) => point_in_range(p),
        Geo::Polygon(p) => poly(p),
        Geo::MultiPolygon(ps) => ps.iter().all(poly),
    }
}

/// Index tokens of a geometry: `(is_cover, cell)` pairs, deduplicated.
pub fn index_cells(g: &Geo) -> Vec<(bool, Cell)> {
    let cover = match g {
        Geo::Point(p) => vec![Cell {
            level: POINT_LEVEL,
            x: lon_index(p.longitude, POINT_LEVEL),
            y: lat_index(p.latitude, POINT_LEVEL),
        }],
        _ => bbox_of(g).map(cover_bbox).unwrap_or_default(),
    };
    let mut out = std::collections::BTreeSet::new();
    // A geometry with coordinates outside the usual ranges (accepted, as by the reference)
    // has no faithful place in the grid: it is also covered by the root cell, which every
    // query looks up, so the exact predicates always get to decide on it.
    if !in_range(g) {
        out.insert((true, ROOT));
    }
    for c in cover {
        out.insert((true, c));
        let mut a = Some(c);
        while let Some(cell) = a {
            out.insert((false, cell));
            a = cell.parent();
        }
    }
    out.into_iter().collect()
}

/// Lookup tokens for a query region given as boxes: `(is_cover, cell)` pairs whose postings
/// together hold every geometry whose cover meets the region's cover.
pub fn query_cells(boxes: &[BBox]) -> Vec<(bool, Cell)> {
    let mut out = std::collections::BTreeSet::new();
    for b in boxes {
        for q in cover_bbox(*b) {
            out.insert((false, q));
            let mut a = q.parent();
            while let Some(cell) = a {
                out.insert((true, cell));
                a = cell.parent();
            }
        }
    }
    out.into_iter().collect()
}

fn bbox_of(g: &Geo) -> Option<BBox> {
    to_geometry(g).bounding_rect().map(|r| BBox {
        min_lon: r.min().x,
        min_lat: r.min().y,
        max_lon: r.max().x,
        max_lat: r.max().y,
    })
}

/// Bounding box of a geometry.
pub fn bbox(g: &Geo) -> Option<BBox> {
    bbox_of(g)
}

/// Boxes covering every point within `metres` of `p` (split at the antimeridian).
pub fn near_boxes(p: GeoPoint, metres: f64) -> Vec<BBox> {
    if !point_in_range(&p) {
        // The distance is measured on the sphere, where such a point lies elsewhere in the
        // grid: look everywhere.
        return vec![BBox {
            min_lon: -180.0,
            min_lat: -90.0,
            max_lon: 180.0,
            max_lat: 90.0,
        }];
    }
    let dlat = (metres / EARTH_RADIUS_M).to_degrees();
    let min_lat = (p.latitude - dlat).max(-90.0);
    let max_lat = (p.latitude + dlat).min(90.0);
    let max_abs_lat = min_lat.abs().max(max_lat.abs());
    let cos = max_abs_lat.to_radians().cos();
    let dlon = if max_lat >= 90.0 || min_lat <= -90.0 || cos < 1e-9 {
        180.0
    } else {
        (dlat / cos).min(180.0)
    };
    if dlon >= 180.0 {
        return vec![BBox {
            min_lon: -180.0,
            min_lat,
            max_lon: 180.0,
            max_lat,
        }];
    }
    let (w, e) = (p.longitude - dlon, p.longitude + dlon);
    let mut out = vec![BBox {
        min_lon: w.max(-180.0),
        min_lat,
        max_lon: e.min(180.0),
        max_lat,
    }];
    if w < -180.0 {
        out.push(BBox {
            min_lon: w + 360.0,
            min_lat,
            max_lon: 180.0,
            max_lat,
        });
    }
    if e > 180.0 {
        out.push(BBox {
            min_lon: -180.0,
            min_lat,
            max_lon: e - 360.0,
            max_lat,
        });
    }
    out
}

fn coord(p: &GeoPoint) -> Coord<f64> {
    Coord {
        x: p.longitude,
        y: p.latitude,
    }
}

fn polygon(p: &GeoPolygon) -> Polygon<f64> {
    let mut rings = p
        .iter()
        .map(|r| LineString::new(r.iter().map(coord).collect()));
    let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
    Polygon::new(exterior, rings.collect())
}

/// Converts a stored geometry to a `geo` geometry.
pub fn to_geometry(g: &Geo) -> Geometry<f64> {
    match g {
        Geo::Point(p) => Geometry::Point(Point(coord(p))),
        Geo::Polygon(p) => Geometry::Polygon(polygon(p)),
        Geo::MultiPolygon(ps) => {
            Geometry::MultiPolygon(MultiPolygon(ps.iter().map(polygon).collect()))
        }
    }
}

/// The same place on the sphere with latitude in ±90 and longitude in ±180 (a latitude
/// past a pole continues on the other side of it).
fn on_sphere(p: GeoPoint) -> GeoPoint {
    if point_in_range(&p) {
        return p;
    }
    let mut lat = (p.latitude + 180.0).rem_euclid(360.0) - 180.0;
    let mut lon = p.longitude;
    if lat > 90.0 {
        lat = 180.0 - lat;
        lon += 180.0;
    } else if lat < -90.0 {
        lat = -180.0 - lat;
        lon += 180.0;
    }
    GeoPoint {
        longitude: (lon + 180.0).rem_euclid(360.0) - 180.0,
        latitude: lat,
    }
}

fn map_points(g: &Geo, f: impl Fn(GeoPoint) -> GeoPoint) -> Geo {
    let poly = |p: &GeoPolygon| -> GeoPolygon {
        p.iter()
            .map(|r| r.iter().map(|x| f(*x)).collect())
            .collect()
    };
    match g {
        Geo::Point(p) => Geo::Point(f(*p)),
        Geo::Polygon(p) => Geo::Polygon(poly(p)),
        Geo::MultiPolygon(ps) => Geo::MultiPolygon(ps.iter().map(poly).collect()),
    }
}

/// Great-circle distance in metres from `p` to the nearest point of `g` (0 inside polygons).
pub fn distance_m(g: &Geo, p: GeoPoint) -> f64 {
    let from = Point(coord(&on_sphere(p)));
    let geom = if in_range(g) {
        to_geometry(g)
    } else {
        to_geometry(&map_points(g, on_sphere))
    };
    match geom.haversine_closest_point(&from) {
        Closest::Intersection(_) => 0.0,
        Closest::SinglePoint(q) => Haversine.distance(from, q),
        Closest::Indeterminate => f64::INFINITY,
    }
}

/// `near`: `g` lies within `metres` of `p`.
pub fn near(g: &Geo, p: GeoPoint, metres: f64) -> bool {
    distance_m(g, p) <= metres
}

/// `within`: `g` lies inside `area` (boundaries count as inside for points on them).
pub fn within(g: &Geo, area: &Geo) -> bool {
    let a = to_geometry(area);
    let b = to_geometry(g);
    a.contains(&b) || (matches!(g, Geo::Point(_)) && a.intersects(&b))
}

/// `contains`: polygon-valued `g` contains `other`.
pub fn contains(g: &Geo, other: &Geo) -> bool {
    within(other, g)
}

/// `intersects`: `g` and `other` share at least one point.
pub fn intersects(g: &Geo, other: &Geo) -> bool {
    to_geometry(g).intersects(&to_geometry(other))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(lon: f64, lat: f64) -> GeoPoint {
        GeoPoint {
            longitude: lon,
            latitude: lat,
        }
    }

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Geo {
        Geo::Polygon(vec![vec![
            pt(x0, y0),
            pt(x1, y0),
            pt(x1, y1),
            pt(x0, y1),
            pt(x0, y0),
        ]])
    }

    #[test]
    fn haversine_distance_sf_la() {
        // San Francisco to Los Angeles is about 559 km great-circle.
        let sf = Geo::Point(pt(-122.4194, 37.7749));
        let d = distance_m(&sf, pt(-118.2437, 34.0522));
        assert!((d - 559_000.0).abs() < 3_000.0, "{d}");
        assert!(near(&sf, pt(-122.4194, 37.7849), 1_200.0)); // 0.01° lat ≈ 1.11 km
        assert!(!near(&sf, pt(-122.4194, 37.7849), 1_000.0));
    }

    #[test]
    fn polygon_predicates() {
        let big = square(0.0, 0.0, 10.0, 10.0);
        let small = square(2.0, 2.0, 3.0, 3.0);
        let far = square(20.0, 20.0, 21.0, 21.0);
        let overlapping = square(9.0, 9.0, 12.0, 12.0);
        assert!(within(&small, &big));
        assert!(!within(&big, &small));
        assert!(contains(&big, &Geo::Point(pt(5.0, 5.0))));
        assert!(!contains(&big, &Geo::Point(pt(15.0, 5.0))));
        assert!(intersects(&big, &overlapping));
        assert!(!intersects(&big, &far));
        assert!(!within(&overlapping, &big));
        // Distance from (5, 11) to the edge (0,10)-(10,10). Edges are great-circle arcs: at
        // lon 5 the arc reaches lat atan(tan 10° / cos 5°) = 10.0372°, so the distance is
        // 0.9628° of a great circle ≈ 0.9628 × 111 195 m ≈ 107 059 m.
        let d = distance_m(&big, pt(5.0, 11.0));
        assert!((d - 107_059.0).abs() < 300.0, "{d}");
        assert_eq!(distance_m(&big, pt(5.0, 5.0)), 0.0);
    }

    #[test]
    fn cells_cover_and_find() {
        let p = Geo::Point(pt(13.4, 52.5));
        let cells = index_cells(&p);
        // One cover cell plus its POINT_LEVEL+1 ancestors-or-self.
        assert_eq!(cells.iter().filter(|(c, _)| *c).count(), 1);
        assert_eq!(
            cells.iter().filter(|(c, _)| !*c).count(),
            POINT_LEVEL as usize + 1
        );
        // A query box around the point shares a token with the point's index tokens.
        let q = query_cells(&near_boxes(pt(13.4, 52.5), 1000.0));
        assert!(q.iter().any(|t| cells.contains(t)));
        // A box far away shares none.
        let q2 = query_cells(&near_boxes(pt(-70.0, -30.0), 1000.0));
        assert!(!q2.iter().any(|t| cells.contains(t)));
        // Cover size bound.
        let b = BBox {
            min_lon: -10.0,
            min_lat: -10.0,
            max_lon: 10.0,
            max_lat: 10.0,
        };
        assert!(cover_bbox(b).len() <= MAX_COVER);
    }

    #[test]
    fn near_boxes_wrap_antimeridian() {
        let boxes = near_boxes(pt(179.99, 0.0), 10_000.0);
        assert_eq!(boxes.len(), 2);
        assert!(boxes.iter().any(|b| b.min_lon == -180.0));
    }
}
