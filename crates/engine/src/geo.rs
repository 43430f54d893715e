//! Geo filter predicates (`near`, `within`, `contains`, `intersects`) between a stored GeoJSON
//! geometry and a query operand in the generated API's input shape.

use geo::{Contains, Distance, Haversine, Intersects};
use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use serde_json::Value;

/// A stored GeoJSON geometry as a `geo` geometry.
pub fn from_geojson(v: &Value) -> Option<Geometry<f64>> {
    let coords = v.get("coordinates")?;
    match v.get("type")?.as_str()? {
        "Point" => Some(Geometry::Point(point_lonlat(coords)?)),
        "Polygon" => Some(Geometry::Polygon(polygon_rings(coords)?)),
        "MultiPolygon" => Some(Geometry::MultiPolygon(MultiPolygon(
            coords
                .as_array()?
                .iter()
                .map(polygon_rings)
                .collect::<Option<Vec<_>>>()?,
        ))),
        _ => None,
    }
}

fn point_lonlat(v: &Value) -> Option<Point<f64>> {
    let a = v.as_array()?;
    Some(Point::new(a.first()?.as_f64()?, a.get(1)?.as_f64()?))
}

fn ring(v: &Value) -> Option<LineString<f64>> {
    Some(LineString(
        v.as_array()?
            .iter()
            .map(|p| point_lonlat(p).map(|p| Coord { x: p.x(), y: p.y() }))
            .collect::<Option<Vec<_>>>()?,
    ))
}

fn polygon_rings(v: &Value) -> Option<Polygon<f64>> {
    let rings = v.as_array()?;
    let outer = ring(rings.first()?)?;
    let inner = rings[1..].iter().map(ring).collect::<Option<Vec<_>>>()?;
    Some(Polygon::new(outer, inner))
}

/// `{latitude, longitude}` input.
fn api_point(v: &Value) -> Option<Point<f64>> {
    Some(Point::new(
        v.get("longitude")?.as_f64()?,
        v.get("latitude")?.as_f64()?,
    ))
}

/// `{coordinates: [{points: [{latitude, longitude}]}]}` input.
fn api_polygon(v: &Value) -> Option<Polygon<f64>> {
    let rings = v.get("coordinates")?.as_array()?;
    let mk = |r: &Value| -> Option<LineString<f64>> {
        Some(LineString(
            r.get("points")?
                .as_array()?
                .iter()
                .map(|p| api_point(p).map(|p| Coord { x: p.x(), y: p.y() }))
                .collect::<Option<Vec<_>>>()?,
        ))
    };
    let outer = mk(rings.first()?)?;
    let inner = rings[1..].iter().map(mk).collect::<Option<Vec<_>>>()?;
    Some(Polygon::new(outer, inner))
}

fn api_multipolygon(v: &Value) -> Option<MultiPolygon<f64>> {
    Some(MultiPolygon(
        v.get("polygons")?
            .as_array()?
            .iter()
            .map(api_polygon)
            .collect::<Option<Vec<_>>>()?,
    ))
}

/// Evaluates geo operator `op` with operand `q` against the stored geometry `stored`.
pub fn matches(op: &str, stored: &Value, q: &Value) -> bool {
    let Some(g) = from_geojson(stored) else {
        return false;
    };
    match op {
        "near" => {
            let (Some(c), Some(d)) = (
                q.get("coordinate").and_then(api_point),
                q.get("distance").and_then(Value::as_f64),
            ) else {
                return false;
            };
            match g {
                Geometry::Point(p) => Haversine.distance(p, c) <= d,
                other => other.intersects(&c),
            }
        }
        "within" => {
            let Some(poly) = q.get("polygon").and_then(api_polygon) else {
                return false;
            };
            poly.contains(&g)
        }
        "contains" => {
            if let Some(p) = q.get("point").and_then(api_point) {
                return g.contains(&p);
            }
            match q.get("polygon").and_then(api_polygon) {
                Some(poly) => g.contains(&poly),
                None => false,
            }
        }
        "intersects" => {
            if let Some(poly) = q.get("polygon").and_then(api_polygon) {
                return g.intersects(&poly);
            }
            match q.get("multiPolygon").and_then(api_multipolygon) {
                Some(mp) => g.intersects(&mp),
                None => false,
            }
        }
        _ => false,
    }
}

/// A stored geometry rendered in the API's output shape (`Point`, `Polygon`, `MultiPolygon`).
pub fn to_api(v: &Value) -> Option<Value> {
    let pt = |c: &Value| -> Option<Value> {
        let a = c.as_array()?;
        Some(serde_json::json!({"longitude": a.first()?, "latitude": a.get(1)?}))
    };
    let poly = |c: &Value| -> Option<Value> {
        let rings = c
            .as_array()?
            .iter()
            .map(|r| {
                let pts = r.as_array()?.iter().map(pt).collect::<Option<Vec<_>>>()?;
                Some(serde_json::json!({"points": pts}))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(serde_json::json!({"coordinates": rings}))
    };
    let coords = v.get("coordinates")?;
    match v.get("type")?.as_str()? {
        "Point" => pt(coords),
        "Polygon" => poly(coords),
        "MultiPolygon" => {
            let ps = coords
                .as_array()?
                .iter()
                .map(poly)
                .collect::<Option<Vec<_>>>()?;
            Some(serde_json::json!({"polygons": ps}))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn predicates() {
        let p = json!({"type": "Point", "coordinates": [72.8333, 18.922]});
        let near =
            json!({"coordinate": {"latitude": 18.92, "longitude": 72.83}, "distance": 1000.0});
        assert!(matches("near", &p, &near));
        let far = json!({"coordinate": {"latitude": 18.92, "longitude": 72.83}, "distance": 100.0});
        assert!(!matches("near", &p, &far));
        let square = json!({"coordinates": [{"points": [
            {"latitude": 18.9, "longitude": 72.8}, {"latitude": 18.9, "longitude": 72.9},
            {"latitude": 19.0, "longitude": 72.9}, {"latitude": 19.0, "longitude": 72.8},
            {"latitude": 18.9, "longitude": 72.8}]}]});
        assert!(matches("within", &p, &json!({"polygon": square})));
        let area = json!({"type": "Polygon", "coordinates": [[[72.8, 18.9], [72.9, 18.9], [72.9, 19.0], [72.8, 19.0], [72.8, 18.9]]]});
        assert!(matches(
            "contains",
            &area,
            &json!({"point": {"latitude": 18.95, "longitude": 72.85}})
        ));
        assert!(!matches(
            "contains",
            &area,
            &json!({"point": {"latitude": 18.95, "longitude": 73.5}})
        ));
        assert_eq!(
            to_api(&p),
            Some(json!({"latitude": 18.922, "longitude": 72.8333}))
        );
    }
}
