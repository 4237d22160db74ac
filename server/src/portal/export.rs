//! The inventory as a file: CSV (one row per token, one per organization that could not be read) and JSON. Never a secret: the tokens listed carry none.

use app::inventory::{InventoryRow, OrgFailure};
use app::model::GlobalPat;
use serde::Serialize;

use super::inventory::Merged;

/// The CSV's columns.
pub const CSV_HEADER: [&str; 10] = [
    "organization",
    "name",
    "status",
    "valid_from",
    "valid_to",
    "scopes",
    "global",
    "authorization_id",
    "target",
    "note",
];

/// A cell as spreadsheets will not run it: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return is a formula to Excel and LibreOffice, so it gets a leading `'` (OWASP, CSV
/// injection).
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn global_label(g: Option<GlobalPat>) -> &'static str {
    match g {
        Some(GlobalPat::Retiring) => "retiring",
        Some(GlobalPat::Retired) => "retired",
        None => "",
    }
}

fn token_record(r: &InventoryRow) -> [String; 10] {
    let t = &r.token;
    [
        r.organization.clone().unwrap_or_else(|| "(all organizations)".into()),
        t.display_name.clone(),
        t.status.label().to_string(),
        t.valid_from.clone(),
        t.valid_to.clone(),
        t.scopes.join(" "),
        global_label(t.global).to_string(),
        t.authorization_id.clone(),
        r.via.clone(),
        String::new(),
    ]
}

fn failure_record(f: &OrgFailure) -> [String; 10] {
    let mut record: [String; 10] = Default::default();
    record[0] = f.organization.clone();
    record[2] = "not read".into();
    record[8] = f.organization.clone();
    record[9] = f.error.to_string();
    record
}

/// RFC 4180 CSV (CRLF, quoted where needed) with a header row.
pub fn to_csv(merged: &Merged) -> Result<String, csv::Error> {
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    out.write_record(CSV_HEADER)?;
    // Every text column is defused, whatever it holds and whichever column is added later.
    for row in &merged.rows {
        out.write_record(token_record(row).iter().map(|c| cell(c)))?;
    }
    for failure in &merged.failures {
        out.write_record(failure_record(failure).iter().map(|c| cell(c)))?;
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[derive(Serialize)]
struct JsonExport<'a> {
    generated_at: String,
    organizations: &'a [String],
    tokens: &'a [InventoryRow],
    failures: &'a [OrgFailure],
}

pub fn to_json(merged: &Merged, generated_at: String) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&JsonExport {
        generated_at,
        organizations: &merged.organizations,
        tokens: &merged.rows,
        failures: &merged.failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::error::ApiError;
    use app::model::{PatStatus, PatSummary};

    fn merged() -> Merged {
        let token = PatSummary {
            authorization_id: "a1".into(),
            display_name: "=HYPERLINK(\"x\"), \"quoted\"".into(),
            scopes: vec!["vso.code".into(), "vso.work".into()],
            valid_from: "2026-01-01T00:00:00Z".into(),
            valid_to: "2027-01-01T00:00:00Z".into(),
            expires: String::new(),
            target_accounts: None,
            status: PatStatus::Active,
            global: Some(GlobalPat::Retired),
        };
        Merged {
            organizations: vec!["fabrikam".into(), "northwind".into()],
            rows: vec![InventoryRow { organization: None, via: "fabrikam".into(), token }],
            failures: vec![OrgFailure {
                organization: "northwind".into(),
                error: ApiError::UpstreamUnavailable,
            }],
            notice: None,
        }
    }

    #[test]
    fn csv_quotes_defuses_formulas_and_names_the_organizations_not_read() {
        let csv = to_csv(&merged()).unwrap();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert_eq!(
            lines[1],
            "(all organizations),\"'=HYPERLINK(\"\"x\"\"), \"\"quoted\"\"\",Active,2026-01-01T00:00:00Z,\
             2027-01-01T00:00:00Z,vso.code vso.work,retired,a1,fabrikam,"
        );
        assert!(lines[2].starts_with("northwind,,not read,"));
        assert!(lines[2].ends_with("Azure DevOps is not answering right now. Try again in a moment."));
        assert_eq!(lines[3], "");
    }

    /// Issue 29: every text column, not only the name and the note.
    #[test]
    fn every_column_is_defused() {
        let mut m = merged();
        m.rows[0].via = "@SUM(1+1)".into();
        m.rows[0].organization = Some("-2+3".into());
        m.rows[0].token.scopes = vec!["+cmd".into()];
        m.rows[0].token.authorization_id = "=1".into();
        m.failures[0].organization = "\tx".into();
        let csv = to_csv(&m).unwrap();
        let cells: Vec<&str> = csv.split("\r\n").skip(1).flat_map(|l| l.split(',')).collect();
        for c in cells {
            let first = c.trim_start_matches('"').chars().next();
            assert!(
                !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                "{c:?} is not defused in {csv}"
            );
        }
    }

    #[test]
    fn json_has_the_rows_and_the_failures() {
        let json: serde_json::Value =
            serde_json::from_str(&to_json(&merged(), "now".into()).unwrap()).unwrap();
        assert_eq!(json["tokens"][0]["via"], "fabrikam");
        assert_eq!(json["failures"][0]["organization"], "northwind");
        assert_eq!(json["failures"][0]["error"]["kind"], "upstream_unavailable");
    }
}
