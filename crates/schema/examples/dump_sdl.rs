//! Prints the generated schema of an SDL file (for inspecting the generator by hand).
//!
//! `cargo run -p graphcloud-schema --example dump_sdl -- path/to/schema.graphql`

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump_sdl <schema.graphql>");
        std::process::exit(2);
    };
    let sdl = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    match graphcloud_schema::parse(&sdl) {
        Ok(s) => print!("{}", s.generated_sdl()),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
