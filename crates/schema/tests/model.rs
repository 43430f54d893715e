//! The resolved model as the engine reads it; expectations derived by hand from the spec
//! (sections A, B.11, D.1, D.3).

use graphcloud_schema::{IndexKind, RbacOp, RuleNode, TypeKind, ValueKind, parse};

const SDL: &str = r#"
interface Character {
  id: ID!
  name: String! @search(by: [exact, term])
}

type Human implements Character @auth(query: { rule: "{$ROLE: { eq: \"ADMIN\" } }" }) {
  code: String! @id
  friends: [Human] @hasInverse(field: friendOf)
  friendOf: [Human]
  born: DateTime @search(by: [day])
  nick: String @dgraph(pred: "Human.nick@en")
  mood: Mood
}

enum Mood {
  HAPPY
  SAD
}

type Query {
  topHumans(first: Int): [Human] @lambda
}
# Dgraph.Authorization {"VerificationKey":"secret-key","Header":"X-Test-Auth","Namespace":"https://xyz.io/jwt/claims","Algo":"HS256","Audience":["aud1"]}
"#;

#[test]
fn types_fields_and_predicates() {
    let s = parse(SDL).expect("schema accepted");
    let human = s.type_by_name("Human").expect("Human");
    assert_eq!(human.kind, TypeKind::Object);
    assert_eq!(human.dgraph_types, vec!["Human", "Character"]);
    let names: Vec<&str> = human.fields.iter().map(|f| f.name.as_str()).collect();
    // interface fields first, then the type's own
    assert_eq!(
        names,
        vec![
            "id", "name", "code", "friends", "friendOf", "born", "nick", "mood"
        ]
    );

    let id = human.id_field().expect("id field");
    assert_eq!(id.name, "id");
    assert!(id.predicate.is_none());

    let name = human.field("name").expect("name");
    assert_eq!(name.predicate.as_deref(), Some("Character.name"));
    assert_eq!(name.inherited_from.as_deref(), Some("Character"));
    assert_eq!(name.search, vec![IndexKind::Exact, IndexKind::Term]);

    let code = human.field("code").expect("code");
    assert_eq!(code.predicate.as_deref(), Some("Human.code"));
    assert_eq!(code.xid, Some(false));
    assert_eq!(
        code.search,
        vec![IndexKind::Hash],
        "@id String implies hash"
    );

    let friends = human.field("friends").expect("friends");
    assert_eq!(friends.has_inverse.as_deref(), Some("friendOf"));
    assert_eq!(
        human
            .field("friendOf")
            .and_then(|f| f.has_inverse.as_deref()),
        Some("friends"),
        "the partner side is completed automatically"
    );
    assert_eq!(
        human.field("born").expect("born").search,
        vec![IndexKind::Day]
    );

    let nick = human.field("nick").expect("nick");
    assert_eq!(nick.predicate.as_deref(), Some("Human.nick"));
    assert_eq!(nick.langs, vec!["en"]);

    let q = s.custom_queries();
    assert_eq!(q.len(), 1);
    assert!(q[0].lambda);
    assert_eq!(q[0].arguments.len(), 1);
}

#[test]
fn auth_rules_and_meta() {
    let s = parse(SDL).expect("schema accepted");
    let auth = s
        .type_by_name("Human")
        .and_then(|t| t.auth.as_ref())
        .expect("rules");
    match auth.query.as_ref().expect("query rule") {
        RuleNode::Rbac(r) => {
            assert_eq!(r.variable, "ROLE");
            assert_eq!(r.op, RbacOp::Eq);
            assert_eq!(r.value, serde_json::json!("ADMIN"));
        }
        other => panic!("expected an RBAC rule, got {other:?}"),
    }
    assert!(auth.add.is_none());
    let a = s.meta().authorization.as_ref().expect("authorization");
    assert_eq!(a.header, "X-Test-Auth");
    assert_eq!(a.algo, "HS256");
    assert_eq!(a.verification_key, "secret-key");
    assert_eq!(a.audience, vec!["aud1"]);
    assert!(!a.closed_by_default);
}

#[test]
fn storage_schema_matches_b11() {
    let s = parse(SDL).expect("schema accepted");
    let st = s.storage_schema();
    let name = st.predicate("Character.name").expect("Character.name");
    assert_eq!(name.kind, ValueKind::String);
    assert_eq!(name.indexes, vec!["exact", "term"]);
    let code = st.predicate("Human.code").expect("Human.code");
    assert!(code.upsert);
    assert_eq!(code.indexes, vec!["hash"]);
    let friends = st.predicate("Human.friends").expect("Human.friends");
    assert_eq!(friends.kind, ValueKind::Uid);
    assert!(friends.list);
    let mood = st.predicate("Human.mood").expect("Human.mood");
    assert_eq!(mood.indexes, vec!["hash"], "enums are always indexed");
    assert!(st.predicate("Human.nick").expect("nick").lang);
    let human = st.types.iter().find(|t| t.name == "Human").expect("type");
    assert!(human.fields.iter().any(|f| f == "Character.name"));
}

#[test]
fn generated_api_is_a_valid_apollo_schema() {
    let s = parse(SDL).expect("schema accepted");
    let api = s.api();
    let query = api.get_object("Query").expect("Query");
    for f in [
        "topHumans",
        "getHuman",
        "queryHuman",
        "aggregateHuman",
        "queryCharacter",
    ] {
        assert!(query.fields.contains_key(f), "Query.{f} missing");
    }
    let mutation = api.get_object("Mutation").expect("Mutation");
    assert!(mutation.fields.contains_key("addHuman"));
    assert!(
        !mutation.fields.contains_key("addCharacter"),
        "interfaces are not added"
    );
    assert!(api.types.contains_key("HumanFilter"));
    assert!(
        s.generated_sdl()
            .starts_with("#######################\n# Input Schema\n")
    );
}

#[test]
fn errors_render_in_dgraph_wire_form() {
    let e = parse("type X {\n  id: ID!\n}\n").expect_err("only an ID field");
    assert_eq!(e.errors().len(), 1);
    assert_eq!(e.errors()[0].locations[0].line, 1);
    assert_eq!(e.errors()[0].locations[0].column, 6);
    assert_eq!(
        e.to_string(),
        "input:1: Type X; is invalid, a type must have atleast one field that is not of ID! type and doesn't have @custom/@lambda directive."
    );
    let e = parse("  \n").expect_err("empty");
    assert_eq!(e.to_string(), "No schema specified");
    let e = parse("type A {\n f: [ID]\n g: [Boolean]\n name: String\n}").expect_err("lists");
    assert_eq!(
        e.to_string(),
        "input:2: Type A; Field f: ID lists are invalid.\ninput:3: Type A; Field g: Boolean lists are invalid."
    );
}

#[test]
fn secret_and_meta_line_errors() {
    let e = parse("# Dgraph.Authorization {\"Header\":\"X\"}\ntype A { n: String }")
        .expect_err("incomplete authorization");
    assert_eq!(
        e.to_string(),
        "required field missing in Dgraph.Authorization: `Verification key`/`JWKUrl`/`JWKUrls` `Algo` `Namespace`"
    );
    let s = parse("# Dgraph.Secret token \"abc\"\n# Dgraph.Allow-Origin \"https://a.io\"\ntype A @secret(field: \"pwd\") { n: String }")
        .expect("accepted");
    assert_eq!(
        s.meta().secrets,
        vec![("token".to_string(), "abc".to_string())]
    );
    assert_eq!(s.meta().allow_origins, vec!["https://a.io"]);
    let a = s.type_by_name("A").expect("A");
    let secret = a.secret.as_ref().expect("secret");
    assert_eq!(secret.field, "pwd");
    assert_eq!(secret.predicate, "A.pwd");
    assert_eq!(
        s.storage_schema().predicate("A.pwd").map(|p| p.kind),
        Some(ValueKind::Password)
    );
}

#[test]
fn allowed_headers_include_forwarded_and_auth_header() {
    let sdl = r#"
type Author {
  id: ID!
  name: String
  bio: String @custom(http: {url: "http://x.io/bio", method: "POST", body: "{id: $id}", forwardHeaders: ["Api-Key:X-App-Key", "Trace"]})
}
# Dgraph.Authorization {"VerificationKey":"k","Header":"X-My-Auth","Namespace":"ns","Algo":"HS256"}
"#;
    let s = parse(sdl).expect("accepted");
    let h = s.allowed_headers();
    assert_eq!(h[0], "X-Dgraph-AccessToken");
    assert_eq!(&h[9..], ["X-App-Key", "Trace", "X-My-Auth"]);
}

#[test]
fn awkward_descriptions_still_build_the_api() {
    let sdl = r#"
"Says \"hi\" \\ to \"you\""
type A {
  "ends in quote\""
  n: String
}
"#;
    let s = parse(sdl).expect("accepted");
    let a = s.api().get_object("A").expect("A");
    assert_eq!(
        a.description.as_deref().map(|d| d.to_string()).as_deref(),
        Some("Says \"hi\" \\ to \"you\"")
    );
    assert_eq!(
        a.fields["n"]
            .description
            .as_deref()
            .map(|d| d.to_string())
            .as_deref(),
        Some("ends in quote\"")
    );
}

#[test]
fn traversal_rules_keep_their_variables_and_tree() {
    let sdl = r#"
type Todo @auth(
  query: { or: [
    { rule: "query($USER: String!) { queryTodo(filter: { owner: { eq: $USER } }) { id } }" },
    { not: { rule: "{$ROLE: { in: [\"guest\", \"anon\"] } }" } }
  ] }
) {
  id: ID!
  owner: String! @search(by: [hash])
}
"#;
    let s = parse(sdl).expect("accepted");
    let rules = s
        .type_by_name("Todo")
        .and_then(|t| t.auth.as_ref())
        .expect("rules");
    let RuleNode::Or(children) = rules.query.as_ref().expect("query rule") else {
        panic!("expected an or-rule");
    };
    assert_eq!(children.len(), 2);
    match &children[0] {
        RuleNode::Query(q) => {
            assert_eq!(q.variables, vec!["USER"]);
            assert!(q.text.contains("queryTodo"));
        }
        other => panic!("expected a traversal rule, got {other:?}"),
    }
    match &children[1] {
        RuleNode::Not(inner) => match inner.as_ref() {
            RuleNode::Rbac(r) => {
                assert_eq!(r.op, RbacOp::In);
                assert_eq!(r.value, serde_json::json!(["guest", "anon"]));
            }
            other => panic!("expected RBAC under not, got {other:?}"),
        },
        other => panic!("expected not, got {other:?}"),
    }
}

#[test]
fn schema_level_rejections() {
    let e =
        parse("type U @remote {\n  id: ID!\n  name: String\n}\n").expect_err("nothing generated");
    assert_eq!(
        e.to_string(),
        "No query or mutation found in the generated schema"
    );
    let twice = "# Dgraph.Authorization {\"VerificationKey\":\"k\",\"Header\":\"H\",\"Namespace\":\"n\",\"Algo\":\"HS256\"}\n# Dgraph.Authorization {\"VerificationKey\":\"k\",\"Header\":\"H\",\"Namespace\":\"n\",\"Algo\":\"HS256\"}\ntype A { n: String }";
    let e = parse(twice).expect_err("two authorization lines");
    assert!(
        e.to_string()
            .starts_with("Dgraph.Authorization should be only be specified once in a schema, found second mention: # Dgraph.Authorization"),
        "{e}"
    );
    let e = parse("type A @auth(query: { rule: \"query { queryB { id } }\" }) { n: String }\ntype B { id: ID! n: String }")
        .expect_err("rule on another type");
    assert_eq!(
        e.to_string(),
        "Type A: @auth: expected only queryA rules,but found queryB"
    );
}

#[test]
fn password_is_not_a_field_type() {
    let e = parse("type A {\n  p: Password\n  n: String\n}").expect_err("Password field");
    assert_eq!(e.to_string(), "input:2: Undefined type Password.");
}

#[test]
fn duplicate_definitions_are_rejected() {
    let e = parse("type A { n: String }\nenum A { X }").expect_err("duplicate");
    assert_eq!(e.to_string(), "input:2: Cannot redeclare type A.");
}
