fn main() {
    println!("graphcloud");
}
