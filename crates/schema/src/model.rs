//! The resolved schema model: what the engine executes against.

pub use apollo_compiler::ast::Type;

use crate::auth::AuthRules;

/// Kind of a user definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    /// `type T { … }`
    Object,
    /// `interface I { … }`
    Interface,
    /// `union U = A | B`
    Union,
    /// `enum E { … }`
    Enum,
    /// `input In { … }`
    InputObject,
}

impl TypeKind {
    /// Upper-case GraphQL kind name (`OBJECT`, `INTERFACE`, …) as used in error texts.
    pub fn as_upper(self) -> &'static str {
        match self {
            TypeKind::Object => "OBJECT",
            TypeKind::Interface => "INTERFACE",
            TypeKind::Union => "UNION",
            TypeKind::Enum => "ENUM",
            TypeKind::InputObject => "INPUT_OBJECT",
        }
    }
}

/// `@generate` switches of a type (defaults: all on except subscriptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generate {
    /// `getT` (and similarity queries)
    pub get: bool,
    /// `queryT`
    pub query: bool,
    /// `checkTPassword`
    pub password: bool,
    /// `aggregateT`
    pub aggregate: bool,
    /// `addT`
    pub add: bool,
    /// `updateT`
    pub update: bool,
    /// `deleteT`
    pub delete: bool,
    /// subscriptions (also switched on by `@withSubscription`)
    pub subscription: bool,
}

impl Default for Generate {
    fn default() -> Self {
        Generate {
            get: true,
            query: true,
            password: true,
            aggregate: true,
            add: true,
            update: true,
            delete: true,
            subscription: false,
        }
    }
}

/// `@lambdaOnMutate` switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LambdaOnMutate {
    /// webhook after `addT`
    pub add: bool,
    /// webhook after `updateT`
    pub update: bool,
    /// webhook after `deleteT`
    pub delete: bool,
}

/// `@secret(field:, pred:)` of a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// GraphQL name of the write-only password field.
    pub field: String,
    /// Storage predicate holding the hash.
    pub predicate: String,
}

/// Apollo federation information of a type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Federation {
    /// Field named by `@key(fields:)`.
    pub key: Option<String>,
    /// `@extends` (or `extend type`).
    pub extends: bool,
}

/// A search index kind requested with `@search(by:)` (after defaults).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexKind {
    /// `int` (Int)
    Int,
    /// `int64` (Int64)
    Int64,
    /// `float`
    Float,
    /// `bool`
    Bool,
    /// `hash`
    Hash,
    /// `exact`
    Exact,
    /// `term`
    Term,
    /// `fulltext`
    Fulltext,
    /// `trigram`
    Trigram,
    /// `regexp` (stored as a trigram index)
    Regexp,
    /// `ngram`
    Ngram,
    /// `year`
    Year,
    /// `month`
    Month,
    /// `day`
    Day,
    /// `hour`
    Hour,
    /// `point` (geo)
    Point,
    /// `polygon` (geo)
    Polygon,
    /// `multiPolygon` (geo)
    MultiPolygon,
    /// `hnsw` with its options (`metric`, `exponent`, …) in declaration order.
    Hnsw(Vec<(String, String)>),
}

impl IndexKind {
    /// Parse an `@search(by:)` argument name (options for `hnsw` handled separately).
    pub fn from_arg(s: &str) -> Option<IndexKind> {
        Some(match s {
            "int" => IndexKind::Int,
            "int64" => IndexKind::Int64,
            "float" => IndexKind::Float,
            "bool" => IndexKind::Bool,
            "hash" => IndexKind::Hash,
            "exact" => IndexKind::Exact,
            "term" => IndexKind::Term,
            "fulltext" => IndexKind::Fulltext,
            "trigram" => IndexKind::Trigram,
            "regexp" => IndexKind::Regexp,
            "ngram" => IndexKind::Ngram,
            "year" => IndexKind::Year,
            "month" => IndexKind::Month,
            "day" => IndexKind::Day,
            "hour" => IndexKind::Hour,
            "point" => IndexKind::Point,
            "polygon" => IndexKind::Polygon,
            "multiPolygon" => IndexKind::MultiPolygon,
            "hnsw" => IndexKind::Hnsw(Vec::new()),
            _ => return None,
        })
    }

    /// The `@search(by:)` spelling.
    pub fn arg_name(&self) -> &'static str {
        match self {
            IndexKind::Int => "int",
            IndexKind::Int64 => "int64",
            IndexKind::Float => "float",
            IndexKind::Bool => "bool",
            IndexKind::Hash => "hash",
            IndexKind::Exact => "exact",
            IndexKind::Term => "term",
            IndexKind::Fulltext => "fulltext",
            IndexKind::Trigram => "trigram",
            IndexKind::Regexp => "regexp",
            IndexKind::Ngram => "ngram",
            IndexKind::Year => "year",
            IndexKind::Month => "month",
            IndexKind::Day => "day",
            IndexKind::Hour => "hour",
            IndexKind::Point => "point",
            IndexKind::Polygon => "polygon",
            IndexKind::MultiPolygon => "multiPolygon",
            IndexKind::Hnsw(_) => "hnsw",
        }
    }

    /// Name of the storage (DQL) tokenizer this index builds.
    pub fn storage_tokenizer(&self) -> &'static str {
        match self {
            IndexKind::Int | IndexKind::Int64 => "int",
            IndexKind::Float => "float",
            IndexKind::Bool => "bool",
            IndexKind::Hash => "hash",
            IndexKind::Exact => "exact",
            IndexKind::Term => "term",
            IndexKind::Fulltext => "fulltext",
            IndexKind::Trigram | IndexKind::Regexp => "trigram",
            IndexKind::Ngram => "ngram",
            IndexKind::Year => "year",
            IndexKind::Month => "month",
            IndexKind::Day => "day",
            IndexKind::Hour => "hour",
            IndexKind::Point | IndexKind::Polygon | IndexKind::MultiPolygon => "geo",
            IndexKind::Hnsw(_) => "hnsw",
        }
    }
}

/// `@custom` resolver of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Custom {
    /// `@custom(http: {…})`; the object exactly as written (keys and JSON-like values).
    Http(CustomHttp),
    /// `@custom(dql: "…")`
    Dql(String),
}

/// `@custom(http:)` arguments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomHttp {
    /// `url`
    pub url: String,
    /// `method` (GET, POST, …)
    pub method: String,
    /// `body` template
    pub body: Option<String>,
    /// `graphql` remote operation
    pub graphql: Option<String>,
    /// `mode` (BATCH or SINGLE); only on fields of stored types
    pub mode: Option<String>,
    /// `forwardHeaders`
    pub forward_headers: Vec<String>,
    /// `secretHeaders`
    pub secret_headers: Vec<String>,
    /// `introspectionHeaders`
    pub introspection_headers: Vec<String>,
    /// `skipIntrospection`
    pub skip_introspection: bool,
}

/// `@default(add:, update:)` values (the `value` strings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defaults {
    /// value applied by `addT` when the field is absent
    pub add: Option<String>,
    /// value applied by `updateT`
    pub update: Option<String>,
}

/// A field of a user type (inherited interface fields are materialised).
#[derive(Debug, Clone)]
pub struct Field {
    /// GraphQL field name.
    pub name: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Declared GraphQL type.
    pub ty: Type,
    /// Storage predicate (`Type.field`, `@dgraph(pred:)` without `~`/`@lang` parts); `None` for
    /// the `ID` field and for `@custom`/`@lambda` fields.
    pub predicate: Option<String>,
    /// `@dgraph(pred: "~p")`: read-only reverse edge of predicate `p`.
    pub reverse: bool,
    /// Language tags of `@dgraph(pred: "p@en:fr")` (empty = untagged; `["."]` for `p@.`).
    pub langs: Vec<String>,
    /// This is the `ID` field (the node uid).
    pub is_id: bool,
    /// `@id` (external id); `Some(interface_flag)`.
    pub xid: Option<bool>,
    /// `@search` index kinds after defaults, in declared order.
    pub search: Vec<IndexKind>,
    /// `@hasInverse` partner field (on the field's type), after auto-adding.
    pub has_inverse: Option<String>,
    /// `@custom` resolver.
    pub custom: Option<Custom>,
    /// `@lambda` resolver.
    pub lambda: bool,
    /// `@default`.
    pub default: Defaults,
    /// `@embedding` (vector field).
    pub embedding: bool,
    /// `@deprecated(reason:)`; `Some("")` when no reason.
    pub deprecated: Option<String>,
    /// Interface this field was inherited from.
    pub inherited_from: Option<String>,
    /// `@remoteResponse(name:)`.
    pub remote_response: Option<String>,
    /// Federation `@external`.
    pub external: bool,
    /// Federation `@requires(fields:)`.
    pub requires: Option<String>,
    /// Federation `@provides(fields:)`.
    pub provides: Option<String>,
    /// Computed by the engine, not stored (`vector_distance` of similarity queries).
    pub computed: bool,
    /// Field arguments (only meaningful on `@custom`/`@lambda` fields).
    pub arguments: Vec<(String, Type)>,
}

impl Field {
    /// Named (innermost) type of the field.
    pub fn type_name(&self) -> &str {
        self.ty.inner_named_type().as_str()
    }
    /// Whether the field is a list.
    pub fn is_list(&self) -> bool {
        self.ty.is_list()
    }
    /// `@custom` or `@lambda`.
    pub fn is_custom_or_lambda(&self) -> bool {
        self.custom.is_some() || self.lambda
    }
    /// Language-tagged with several languages (`p@hi:en`): not filterable or orderable.
    pub fn is_multi_lang(&self) -> bool {
        self.langs.len() > 1
    }

    /// Read-only language field: several languages, or the `p@.` "any language" form.
    pub fn is_read_only_lang(&self) -> bool {
        self.langs.len() > 1 || self.langs.iter().any(|l| l == "." || l == "*")
    }
}

/// A user definition (object, interface, union, enum or input).
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// GraphQL name.
    pub name: String,
    /// Kind.
    pub kind: TypeKind,
    /// Description.
    pub description: Option<String>,
    /// `@remote`: not stored, nothing generated.
    pub remote: bool,
    /// Storage type name (`@dgraph(type:)` or the name).
    pub storage_name: String,
    /// `dgraph.type` values of a node of this type: own storage name then implemented interfaces.
    pub dgraph_types: Vec<String>,
    /// Implemented interfaces (objects and interfaces).
    pub interfaces: Vec<String>,
    /// Fields (interface fields first, materialised).
    pub fields: Vec<Field>,
    /// Union members.
    pub members: Vec<String>,
    /// Enum values.
    pub enum_values: Vec<String>,
    /// `@secret`.
    pub secret: Option<Secret>,
    /// Parsed `@auth` rules.
    pub auth: Option<AuthRules>,
    /// `@generate` switches.
    pub generate: Generate,
    /// `@withSubscription`.
    pub with_subscription: bool,
    /// `@lambdaOnMutate`.
    pub lambda_on_mutate: LambdaOnMutate,
    /// Apollo federation info.
    pub federation: Federation,
}

impl TypeDef {
    /// The `ID` field, if any.
    pub fn id_field(&self) -> Option<&Field> {
        self.fields.iter().find(|f| f.is_id)
    }
    /// Fields with `@id`, in declaration order.
    pub fn xid_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.xid.is_some())
    }
    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    /// Object or interface that is stored (gets a generated API).
    pub fn is_stored(&self) -> bool {
        matches!(self.kind, TypeKind::Object | TypeKind::Interface) && !self.remote
    }
}

/// `# Dgraph.Authorization` configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthConfig {
    /// Header carrying the JWT.
    pub header: String,
    /// Claims namespace key.
    pub namespace: String,
    /// Signing algorithm (`HS256`, `RS256`, …).
    pub algo: String,
    /// HMAC secret or PEM public key (`\n` sequences already turned into newlines).
    pub verification_key: String,
    /// JWK URLs.
    pub jwk_urls: Vec<String>,
    /// Accepted audiences.
    pub audience: Vec<String>,
    /// Require a JWT for every operation.
    pub closed_by_default: bool,
}

/// Meta lines of the schema text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// `# Dgraph.Authorization`.
    pub authorization: Option<AuthConfig>,
    /// `# Dgraph.Secret name "value"` pairs, in order.
    pub secrets: Vec<(String, String)>,
    /// `# Dgraph.Allow-Origin` values.
    pub allow_origins: Vec<String>,
}
