//! Rendering of command results: aligned tables for people, JSON for scripts.

use serde_json::Value;

/// `-o` / `--output` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned columns (or `key: value` lines for one object).
    #[default]
    Table,
    /// JSON on stdout, one document per command.
    Json,
}

/// A plain-text table with a header row; columns are padded to their widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        push_line(&mut out, &header, &widths);
        for row in &self.rows {
            push_line(&mut out, row, &widths);
        }
        out
    }
}

fn push_line(out: &mut String, cells: &[String], widths: &[usize]) {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(cell);
        if i + 1 < cells.len() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// `key: value` lines for one object, keys aligned.
pub fn render_fields(fields: &[(&str, String)]) -> String {
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in fields {
        out.push_str(&format!(
            "{key:<width$}  {value}\n",
            width = width + 1,
            key = format!("{key}:")
        ));
    }
    out
}

/// A string field of a JSON object, `""` when absent or null, numbers and booleans printed.
pub fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Like [`text`], with `-` for empty values (easier to read in a table).
pub fn cell(v: &Value, key: &str) -> String {
    let t = text(v, key);
    if t.is_empty() { "-".to_string() } else { t }
}

/// Prints a JSON document to stdout.
pub fn print_json(v: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_are_aligned_and_lines_trimmed() {
        let mut t = Table::new(&["UID", "NAME", "URL"]);
        t.row(vec![
            "0x1".into(),
            "My App".into(),
            "my-app.localhost:8080".into(),
        ]);
        t.row(vec!["0x1f".into(), "B".into(), "".into()]);
        assert_eq!(
            t.render(),
            "UID   NAME    URL\n0x1   My App  my-app.localhost:8080\n0x1f  B\n"
        );
    }

    #[test]
    fn fields_are_aligned() {
        let s = render_fields(&[("uid", "0x1".into()), ("jwtToken", "abc".into())]);
        assert_eq!(s, "uid:       0x1\njwtToken:  abc\n");
    }

    #[test]
    fn cells_render_missing_values_as_dash() {
        let v = json!({"a": "x", "b": null, "n": 3});
        assert_eq!(cell(&v, "a"), "x");
        assert_eq!(cell(&v, "b"), "-");
        assert_eq!(cell(&v, "c"), "-");
        assert_eq!(cell(&v, "n"), "3");
    }
}
