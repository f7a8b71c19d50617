//! A table as CSV (RFC 4180), for spreadsheets: the venues' attendance lists.
//!
//! Fields are separated by commas and records end with CRLF. A field holding a comma, a quote,
//! a CR or an LF is quoted, its quotes doubled. A field a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a CR) is prefixed with `'`, so that a name sent
//! by a partner can never run in the venue's spreadsheet.

/// The CSV of a header and its rows.
pub fn table<R, F>(header: &[&str], rows: R) -> String
where
    R: IntoIterator<Item = Vec<F>>,
    F: AsRef<str>,
{
    let mut out = String::new();
    record(&mut out, header.iter().copied());
    for row in rows {
        record(&mut out, row.iter().map(AsRef::as_ref));
    }
    out
}

fn record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field_text(field));
    }
    out.push_str("\r\n");
}

/// One field, neutralised and quoted as needed.
pub fn field_text(field: &str) -> String {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}
