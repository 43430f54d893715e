//! Fixed definitions every generated schema contains (spec A.3, A.4) and the built-in
//! filter inputs.

/// The block printed under the `# Extended Definitions` banner.
pub(crate) const EXTENDED_DEFINITIONS: &str = r#""""
The Int64 scalar type represents a signed 64‐bit numeric non‐fractional value.
Int64 can represent values in range [-(2^63),(2^63 - 1)].
"""
scalar Int64

"""
The DateTime scalar type represents date and time as a string in RFC3339 format.
For example: "1985-04-12T23:20:50.52Z" represents 20 mins 50.52 secs after the 23rd hour of Apr 12th 1985 in UTC.
"""
scalar DateTime

input IntRange{
	min: Int!
	max: Int!
}

input FloatRange{
	min: Float!
	max: Float!
}

input Int64Range{
	min: Int64!
	max: Int64!
}

input DateTimeRange{
	min: DateTime!
	max: DateTime!
}

input StringRange{
	min: String!
	max: String!
}

enum DgraphIndex {
	int
	int64
	float
	bool
	hash
	exact
	term
	fulltext
	trigram
	regexp
	year
	month
	day
	hour
	geo
	hnsw
}

input AuthRule {
	and: [AuthRule]
	or: [AuthRule]
	not: AuthRule
	rule: String
}

enum HTTPMethod {
	GET
	POST
	PUT
	PATCH
	DELETE
}

enum Mode {
	BATCH
	SINGLE
}

input CustomHTTP {
	url: String!
	method: HTTPMethod!
	body: String
	graphql: String
	mode: Mode
	forwardHeaders: [String!]
	secretHeaders: [String!]
	introspectionHeaders: [String!]
	skipIntrospection: Boolean
}

input DgraphDefault {
	value: String
}

type Point {
	longitude: Float!
	latitude: Float!
}

input PointRef {
	longitude: Float!
	latitude: Float!
}

input NearFilter {
	distance: Float!
	coordinate: PointRef!
}

input PointGeoFilter {
	near: NearFilter
	within: WithinFilter
}

type PointList {
	points: [Point!]!
}

input PointListRef {
	points: [PointRef!]!
}

type Polygon {
	coordinates: [PointList!]!
}

input PolygonRef {
	coordinates: [PointListRef!]!
}

type MultiPolygon {
	polygons: [Polygon!]!
}

input MultiPolygonRef {
	polygons: [PolygonRef!]!
}

input WithinFilter {
	polygon: PolygonRef!
}

input ContainsFilter {
	point: PointRef
	polygon: PolygonRef
}

input IntersectsFilter {
	polygon: PolygonRef
	multiPolygon: MultiPolygonRef
}

input PolygonGeoFilter {
	near: NearFilter
	within: WithinFilter
	contains: ContainsFilter
	intersects: IntersectsFilter
}

input GenerateQueryParams {
	get: Boolean
	query: Boolean
	password: Boolean
	aggregate: Boolean
}

input GenerateMutationParams {
	add: Boolean
	update: Boolean
	delete: Boolean
}

directive @hasInverse(field: String!) on FIELD_DEFINITION
directive @search(by: [String!]) on FIELD_DEFINITION
directive @embedding on FIELD_DEFINITION
directive @dgraph(type: String, pred: String) on OBJECT | INTERFACE | FIELD_DEFINITION
directive @id(interface: Boolean) on FIELD_DEFINITION
directive @default(add: DgraphDefault, update: DgraphDefault) on FIELD_DEFINITION
directive @withSubscription on OBJECT | INTERFACE | FIELD_DEFINITION
directive @secret(field: String!, pred: String) on OBJECT | INTERFACE
directive @auth(
	password: AuthRule
	query: AuthRule,
	add: AuthRule,
	update: AuthRule,
	delete: AuthRule) on OBJECT | INTERFACE
directive @custom(http: CustomHTTP, dql: String) on FIELD_DEFINITION
directive @remote on OBJECT | INTERFACE | UNION | INPUT_OBJECT | ENUM
directive @remoteResponse(name: String) on FIELD_DEFINITION
directive @cascade(fields: [String]) on FIELD
directive @lambda on FIELD_DEFINITION
directive @lambdaOnMutate(add: Boolean, update: Boolean, delete: Boolean) on OBJECT | INTERFACE
directive @cacheControl(maxAge: Int!) on QUERY
directive @generate(
	query: GenerateQueryParams,
	mutation: GenerateMutationParams,
	subscription: Boolean) on OBJECT | INTERFACE

input IntFilter {
	eq: Int
	in: [Int]
	le: Int
	lt: Int
	ge: Int
	gt: Int
	between: IntRange
}

input Int64Filter {
	eq: Int64
	in: [Int64]
	le: Int64
	lt: Int64
	ge: Int64
	gt: Int64
	between: Int64Range
}

input FloatFilter {
	eq: Float
	in: [Float]
	le: Float
	lt: Float
	ge: Float
	gt: Float
	between: FloatRange
}

input DateTimeFilter {
	eq: DateTime
	in: [DateTime]
	le: DateTime
	lt: DateTime
	ge: DateTime
	gt: DateTime
	between: DateTimeRange
}

input StringTermFilter {
	allofterms: String
	anyofterms: String
}

input StringRegExpFilter {
	regexp: String
}

input StringNgramFilter {
	ngram: String
}

input StringFullTextFilter {
	alloftext: String
	anyoftext: String
}

input StringExactFilter {
	eq: String
	in: [String]
	le: String
	lt: String
	ge: String
	gt: String
	between: StringRange
}

input StringHashFilter {
	eq: String
	in: [String]
}
"#;

/// Apollo federation definitions (after the `union _Entity` line).
pub(crate) const APOLLO_DEFINITIONS: &str = r#"scalar _Any
scalar _FieldSet

type _Service {
	sdl: String
}

directive @external on FIELD_DEFINITION
directive @requires(fields: _FieldSet!) on FIELD_DEFINITION
directive @provides(fields: _FieldSet!) on FIELD_DEFINITION
directive @key(fields: _FieldSet!) on OBJECT | INTERFACE
directive @extends on OBJECT | INTERFACE
"#;

/// Fields of a built-in filter input.
pub(crate) fn filter_fields(name: &str) -> Option<&'static [(&'static str, &'static str)]> {
    const INT: &[(&str, &str)] = &[
        ("eq", "Int"),
        ("in", "[Int]"),
        ("le", "Int"),
        ("lt", "Int"),
        ("ge", "Int"),
        ("gt", "Int"),
        ("between", "IntRange"),
    ];
    const INT64: &[(&str, &str)] = &[
        ("eq", "Int64"),
        ("in", "[Int64]"),
        ("le", "Int64"),
        ("lt", "Int64"),
        ("ge", "Int64"),
        ("gt", "Int64"),
        ("between", "Int64Range"),
    ];
    const FLOAT: &[(&str, &str)] = &[
        ("eq", "Float"),
        ("in", "[Float]"),
        ("le", "Float"),
        ("lt", "Float"),
        ("ge", "Float"),
        ("gt", "Float"),
        ("between", "FloatRange"),
    ];
    const DATETIME: &[(&str, &str)] = &[
        ("eq", "DateTime"),
        ("in", "[DateTime]"),
        ("le", "DateTime"),
        ("lt", "DateTime"),
        ("ge", "DateTime"),
        ("gt", "DateTime"),
        ("between", "DateTimeRange"),
    ];
    const EXACT: &[(&str, &str)] = &[
        ("eq", "String"),
        ("in", "[String]"),
        ("le", "String"),
        ("lt", "String"),
        ("ge", "String"),
        ("gt", "String"),
        ("between", "StringRange"),
    ];
    const HASH: &[(&str, &str)] = &[("eq", "String"), ("in", "[String]")];
    const TERM: &[(&str, &str)] = &[("allofterms", "String"), ("anyofterms", "String")];
    const FULLTEXT: &[(&str, &str)] = &[("alloftext", "String"), ("anyoftext", "String")];
    const REGEXP: &[(&str, &str)] = &[("regexp", "String")];
    const NGRAM: &[(&str, &str)] = &[("ngram", "String")];
    const POINT: &[(&str, &str)] = &[("near", "NearFilter"), ("within", "WithinFilter")];
    const POLYGON: &[(&str, &str)] = &[
        ("near", "NearFilter"),
        ("within", "WithinFilter"),
        ("contains", "ContainsFilter"),
        ("intersects", "IntersectsFilter"),
    ];
    Some(match name {
        "IntFilter" => INT,
        "Int64Filter" => INT64,
        "FloatFilter" => FLOAT,
        "DateTimeFilter" => DATETIME,
        "StringExactFilter" => EXACT,
        "StringHashFilter" => HASH,
        "StringTermFilter" => TERM,
        "StringFullTextFilter" => FULLTEXT,
        "StringRegExpFilter" => REGEXP,
        "StringNgramFilter" => NGRAM,
        "PointGeoFilter" => POINT,
        "PolygonGeoFilter" => POLYGON,
        _ => return None,
    })
}

/// Built-in filter input for a `@search(by:)` argument on a scalar field.
pub(crate) fn filter_for_arg(arg: &str) -> Option<&'static str> {
    Some(match arg {
        "int" => "IntFilter",
        "int64" => "Int64Filter",
        "float" => "FloatFilter",
        "bool" => "Boolean",
        "hash" => "StringHashFilter",
        "exact" => "StringExactFilter",
        "term" => "StringTermFilter",
        "fulltext" => "StringFullTextFilter",
        "trigram" | "regexp" => "StringRegExpFilter",
        "ngram" => "StringNgramFilter",
        "year" | "month" | "day" | "hour" => "DateTimeFilter",
        "point" => "PointGeoFilter",
        "polygon" | "multiPolygon" => "PolygonGeoFilter",
        _ => return None,
    })
}

/// A filter input that is part of the fixed definitions.
pub(crate) fn is_builtin_filter(name: &str) -> bool {
    filter_fields(name).is_some()
}

/// Names defined by GraphQL or by the fixed definitions (never user-declarable).
pub(crate) fn is_builtin_type(name: &str) -> bool {
    matches!(
        name,
        "ID" | "Int"
            | "Float"
            | "String"
            | "Boolean"
            | "Int64"
            | "DateTime"
            | "Point"
            | "PointRef"
            | "PointList"
            | "PointListRef"
            | "Polygon"
            | "PolygonRef"
            | "MultiPolygon"
            | "MultiPolygonRef"
            | "NearFilter"
            | "WithinFilter"
            | "ContainsFilter"
            | "IntersectsFilter"
            | "PointGeoFilter"
            | "PolygonGeoFilter"
            | "IntRange"
            | "FloatRange"
            | "Int64Range"
            | "DateTimeRange"
            | "StringRange"
            | "DgraphIndex"
            | "AuthRule"
            | "HTTPMethod"
            | "Mode"
            | "CustomHTTP"
            | "DgraphDefault"
            | "GenerateQueryParams"
            | "GenerateMutationParams"
    ) || is_builtin_filter(name)
}

/// The fixed block as the Apollo `_service` SDL shows it: without the definitions of the
/// directives that SDL leaves out (`@auth`, `@custom`, `@cascade`, `@cacheControl`,
/// `@generate`).
pub(crate) fn service_extended_definitions() -> String {
    const DROPPED: [&str; 5] = [
        "@auth(",
        "@custom(",
        "@cascade(",
        "@cacheControl(",
        "@generate(",
    ];
    let mut out = String::with_capacity(EXTENDED_DEFINITIONS.len());
    let mut skipping = false;
    for line in EXTENDED_DEFINITIONS.split_inclusive('\n') {
        if line.starts_with("directive ") {
            skipping = DROPPED
                .iter()
                .any(|d| line.starts_with(&format!("directive {d}")));
        } else if !line.starts_with('\t') {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out
}
