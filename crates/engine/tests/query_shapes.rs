//! Interfaces, unions and geo values on the `e2e/normal` schema, with a small data set of
//! our own (below). Expected values are derived by hand from that data and the spec.

mod query_support;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use query_support::*;
use serde_json::{Value, json};

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        Fixture::normal_with(json!([
            {"uid": "_:luke", "dgraph.type": ["Human", "Character", "Employee"],
             "Character.name": "Luke", "Character.appearsIn": ["NEWHOPE", "EMPIRE"],
             "Employee.ename": "Luke E", "Human.totalCredits": 10.5,
             "Human.starships": [{"uid": "_:xwing"}]},
            {"uid": "_:xwing", "dgraph.type": "Starship", "Starship.name": "X-Wing Fighter",
             "Starship.length": 12.5},
            {"uid": "_:r2", "dgraph.type": ["Droid", "Character"], "Character.name": "R2-D2",
             "Character.appearsIn": ["NEWHOPE", "EMPIRE", "JEDI"],
             "Droid.primaryFunction": "Astromech"},
            {"uid": "_:rex", "dgraph.type": ["Dog", "Animal"], "Animal.category": "Mammal",
             "Dog.breed": "Labrador"},
            {"uid": "_:polly", "dgraph.type": ["Parrot", "Animal"], "Animal.category": "Bird",
             "Parrot.repeatsWords": ["hello", "bye"]},
            {"uid": "_:rose", "dgraph.type": "Plant", "Plant.breed": "Rose"},
            {"uid": "_:home", "dgraph.type": "Home", "Home.address": "1 Main St",
             "Home.members": [{"uid": "_:rex"}, {"uid": "_:polly"}, {"uid": "_:luke"}, {"uid": "_:rose"}],
             "Home.favouriteMember": {"uid": "_:polly"}},
            {"uid": "_:zoo", "dgraph.type": "Zoo", "Zoo.city": "Sydney",
             "Zoo.animals": [{"uid": "_:rex"}, {"uid": "_:polly"}]},
            {"uid": "_:taj", "dgraph.type": "Hotel", "Hotel.name": "Taj",
             "Hotel.location": {"type": "Point", "coordinates": [72.8333, 18.922]},
             "Hotel.area": {"type": "Polygon", "coordinates": [[[72.8, 18.9], [72.9, 18.9], [72.9, 19.0], [72.8, 19.0], [72.8, 18.9]]]}},
            {"uid": "_:opera", "dgraph.type": "Hotel", "Hotel.name": "Opera",
             "Hotel.location": {"type": "Point", "coordinates": [151.2153, -33.8568]}}
        ]))
    })
}

fn q(s: &str) -> Value {
    fx().query(s)
}

#[test]
fn interface_query_with_inline_fragments() {
    let r = q(
        "{ queryCharacter(order: {asc: name}) { __typename name ... on Human { ename totalCredits } ... on Droid { primaryFunction } } }",
    );
    assert_data(
        &r,
        json!({"queryCharacter": [
            {"__typename": "Human", "name": "Luke", "ename": "Luke E", "totalCredits": 10.5},
            {"__typename": "Droid", "name": "R2-D2", "primaryFunction": "Astromech"}
        ]}),
    );
}

#[test]
fn interface_filter_on_enum_list() {
    let r = q("{ queryCharacter(filter: {appearsIn: {eq: JEDI}}) { name } }");
    assert_data(&r, json!({"queryCharacter": [{"name": "R2-D2"}]}));
    let r =
        q("{ queryCharacter(filter: {appearsIn: {in: [EMPIRE]}}, order: {desc: name}) { name } }");
    assert_data(
        &r,
        json!({"queryCharacter": [{"name": "R2-D2"}, {"name": "Luke"}]}),
    );
}

#[test]
fn interface_aggregate_and_fragment_on_interface() {
    let r = q("{ aggregateCharacter { count nameMin nameMax } }");
    assert_data(
        &r,
        json!({"aggregateCharacter": {"count": 2, "nameMin": "Luke", "nameMax": "R2-D2"}}),
    );
    let r = q(
        "query { queryHuman { ...C starships { name length } } } fragment C on Character { name }",
    );
    assert_data(
        &r,
        json!({"queryHuman": [{"name": "Luke", "starships": [{"name": "X-Wing Fighter", "length": 12.5}]}]}),
    );
}

#[test]
fn enum_list_values() {
    let r = q("{ queryDroid { appearsIn } }");
    let got: BTreeSet<String> = r["data"]["queryDroid"][0]["appearsIn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = ["NEWHOPE", "EMPIRE", "JEDI"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn union_members_resolve_their_concrete_types() {
    let r = q(
        "{ queryHome { address members { __typename ... on Dog { breed category } ... on Parrot { repeatsWords } ... on Human { name } ... on Plant { breed } } favouriteMember { __typename ... on Parrot { category } } } }",
    );
    assert!(r.get("errors").is_none(), "{r}");
    let home = &r["data"]["queryHome"][0];
    assert_eq!(home["address"], "1 Main St");
    assert_eq!(
        home["favouriteMember"],
        json!({"__typename": "Parrot", "category": "Bird"})
    );
    let members = home["members"].as_array().unwrap();
    assert_eq!(members.len(), 4);
    for m in members {
        match m["__typename"].as_str().unwrap() {
            "Dog" => assert_eq!(
                m,
                &json!({"__typename": "Dog", "breed": "Labrador", "category": "Mammal"})
            ),
            "Parrot" => {
                let words: BTreeSet<&str> = m["repeatsWords"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap())
                    .collect();
                assert_eq!(words, BTreeSet::from(["bye", "hello"]));
            }
            "Human" => assert_eq!(m, &json!({"__typename": "Human", "name": "Luke"})),
            "Plant" => assert_eq!(m, &json!({"__typename": "Plant", "breed": "Rose"})),
            other => panic!("unexpected member type {other}"),
        }
    }
}

#[test]
fn union_member_types_filter() {
    let r = q(
        "{ queryHome { members(filter: {memberTypes: [Plant]}) { __typename ... on Plant { breed } } } }",
    );
    assert_data(
        &r,
        json!({"queryHome": [{"members": [{"__typename": "Plant", "breed": "Rose"}]}]}),
    );
}

#[test]
fn union_member_filter() {
    let r = q(
        "{ queryHome { members(filter: {memberTypes: [Dog], dogFilter: {breed: {anyofterms: \"labrador poodle\"}}}) { ... on Dog { breed } } } }",
    );
    assert_data(
        &r,
        json!({"queryHome": [{"members": [{"breed": "Labrador"}]}]}),
    );
    let r = q(
        "{ queryHome { members(filter: {memberTypes: [Dog], dogFilter: {breed: {anyofterms: \"poodle\"}}}) { ... on Dog { breed } } } }",
    );
    assert_data(&r, json!({"queryHome": [{"members": []}]}));
}

#[test]
fn interface_edge_with_filter() {
    let r =
        q("{ queryZoo { city animals(filter: {category: {eq: Bird}}) { __typename category } } }");
    assert_data(
        &r,
        json!({"queryZoo": [{"city": "Sydney", "animals": [{"__typename": "Parrot", "category": "Bird"}]}]}),
    );
}

#[test]
fn geo_point_output() {
    let r = q(
        "{ queryHotel(filter: {name: {eq: \"Opera\"}}) { name location { latitude longitude } area { coordinates { points { latitude } } } } }",
    );
    assert_data(
        &r,
        json!({"queryHotel": [{"name": "Opera", "location": {"latitude": -33.8568, "longitude": 151.2153}, "area": null}]}),
    );
}

#[test]
fn geo_polygon_output() {
    let r = q(
        "{ queryHotel(filter: {name: {eq: \"Taj\"}}) { area { coordinates { points { latitude longitude } } } } }",
    );
    assert_data(
        &r,
        json!({"queryHotel": [{"area": {"coordinates": [{"points": [
            {"latitude": 18.9, "longitude": 72.8}, {"latitude": 18.9, "longitude": 72.9},
            {"latitude": 19.0, "longitude": 72.9}, {"latitude": 19.0, "longitude": 72.8},
            {"latitude": 18.9, "longitude": 72.8}
        ]}]}}]}),
    );
}

#[test]
fn geo_near() {
    // (18.92, 72.83) is about 400 m from the Taj point; the Opera is 10 000 km away.
    let r = q(
        "{ queryHotel(filter: {location: {near: {coordinate: {latitude: 18.92, longitude: 72.83}, distance: 1000}}}) { name } }",
    );
    assert_data(&r, json!({"queryHotel": [{"name": "Taj"}]}));
    let r = q(
        "{ queryHotel(filter: {location: {near: {coordinate: {latitude: 18.92, longitude: 72.83}, distance: 100}}}) { name } }",
    );
    assert_data(&r, json!({"queryHotel": []}));
}

#[test]
fn geo_within() {
    let r = q(
        "{ queryHotel(filter: {location: {within: {polygon: {coordinates: [{points: [{latitude: -34.0, longitude: 151.0}, {latitude: -34.0, longitude: 152.0}, {latitude: -33.0, longitude: 152.0}, {latitude: -33.0, longitude: 151.0}, {latitude: -34.0, longitude: 151.0}]}]}}}}) { name } }",
    );
    assert_data(&r, json!({"queryHotel": [{"name": "Opera"}]}));
}

#[test]
fn geo_contains_and_intersects() {
    let r = q(
        "{ queryHotel(filter: {area: {contains: {point: {latitude: 18.95, longitude: 72.85}}}}) { name } }",
    );
    assert_data(&r, json!({"queryHotel": [{"name": "Taj"}]}));
    let r = q(
        "{ queryHotel(filter: {area: {contains: {point: {latitude: 18.95, longitude: 73.5}}}}) { name } }",
    );
    assert_data(&r, json!({"queryHotel": []}));
    let r = q(
        "{ queryHotel(filter: {area: {intersects: {polygon: {coordinates: [{points: [{latitude: 18.95, longitude: 72.85}, {latitude: 18.95, longitude: 73.5}, {latitude: 19.5, longitude: 73.5}, {latitude: 19.5, longitude: 72.85}, {latitude: 18.95, longitude: 72.85}]}]}}}}) { name } }",
    );
    assert_data(&r, json!({"queryHotel": [{"name": "Taj"}]}));
}

#[test]
fn language_tagged_fields_and_fallbacks() {
    let f = Fixture::normal_with(json!([]));
    let r = f.query("mutation { addPerson(input: [{name: \"Untagged\", nameHi: \"नाम\", nameZh: \"名字\"}, {name: \"N2\", nameZh: \"只有\"}]) { numUids } }");
    assert_data(&r, json!({"addPerson": {"numUids": 2}}));
    let r = f.query("{ queryPerson(order: {desc: name}) { name nameHi nameZh nameHiZh nameZhHi nameHi_Zh_Untag name_Untag_AnyLang } }");
    assert_data(
        &r,
        json!({"queryPerson": [
            {"name": "Untagged", "nameHi": "नाम", "nameZh": "名字", "nameHiZh": "नाम", "nameZhHi": "名字",
             "nameHi_Zh_Untag": "नाम", "name_Untag_AnyLang": "Untagged"},
            {"name": "N2", "nameHi": null, "nameZh": "只有", "nameHiZh": "只有", "nameZhHi": "只有",
             "nameHi_Zh_Untag": "只有", "name_Untag_AnyLang": "N2"}
        ]}),
    );
    let r = f.query("{ queryPerson(filter: {nameHi: {eq: \"नाम\"}}) { name } }");
    assert_data(&r, json!({"queryPerson": [{"name": "Untagged"}]}));
}

#[test]
fn federation_service_and_entities() {
    let f = Fixture::normal_with(json!([]));
    let r = f.query("{ _service { sdl } }");
    assert!(r.get("errors").is_none(), "{r}");
    let sdl = r["data"]["_service"]["sdl"].as_str().unwrap();
    assert!(sdl.contains("type Mission @key(fields: \"id\")"), "{sdl}");
    assert!(
        !sdl.contains("_Entity"),
        "federation plumbing is not part of _service"
    );
    let r = f.query(
        "mutation { addMission(input: [{id: \"M1\", designation: \"Apollo 11\"}]) { numUids } }",
    );
    assert_data(&r, json!({"addMission": {"numUids": 1}}));
    let r = f.query("{ _entities(representations: [{__typename: \"Mission\", id: \"M1\"}, {__typename: \"Mission\", id: \"nope\"}]) { __typename ... on Mission { designation } } }");
    assert_data(
        &r,
        // A key that matches nothing is left out (the reference answers with the nodes found).
        json!({"_entities": [{"__typename": "Mission", "designation": "Apollo 11"}]}),
    );
}
