//! The one result type every check produces.
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// One measured fact about a workspace or the repository.
///
/// `id` is the check (`words`, `snippets`, ...), `rule` the specific rule within
/// it (`section`, `drift`, ...). Both are stable strings agents may match on.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub id: String,
    pub rule: String,
    pub status: Status,
    /// Relative to the repository root, with `/` separators.
    pub file: Option<String>,
    /// 1-based.
    pub line: Option<usize>,
    pub message: String,
    pub measured: Option<f64>,
    pub required: Option<f64>,
    /// Extra figures a check reports beside `measured` (e.g. `raw` word counts).
    pub extra: Map<String, Value>,
}

impl Finding {
    pub fn new(status: Status, id: &str, rule: &str, message: impl Into<String>) -> Self {
        Finding {
            id: id.to_string(),
            rule: rule.to_string(),
            status,
            file: None,
            line: None,
            message: message.into(),
            measured: None,
            required: None,
            extra: Map::new(),
        }
    }

    pub fn fail(id: &str, rule: &str, message: impl Into<String>) -> Self {
        Finding::new(Status::Fail, id, rule, message)
    }

    pub fn pass(id: &str, rule: &str, message: impl Into<String>) -> Self {
        Finding::new(Status::Pass, id, rule, message)
    }

    pub fn skip(id: &str, rule: &str, message: impl Into<String>) -> Self {
        Finding::new(Status::Skip, id, rule, message)
    }

    /// Where the finding is: a file relative to the root, and a 1-based line.
    pub fn at(mut self, file: impl Into<String>, line: Option<usize>) -> Self {
        self.file = Some(file.into());
        self.line = line;
        self
    }

    pub fn measure(mut self, measured: f64, required: f64) -> Self {
        self.measured = Some(measured);
        self.required = Some(required);
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn is_fail(&self) -> bool {
        self.status == Status::Fail
    }

    /// The JSON shape agents read (specs/guides/agents.md): absent fields are omitted, not null.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("id".into(), json!(self.id));
        obj.insert("rule".into(), json!(self.rule));
        obj.insert("status".into(), json!(self.status.as_str()));
        if let Some(file) = &self.file {
            obj.insert("file".into(), json!(file));
        }
        if let Some(line) = self.line {
            obj.insert("line".into(), json!(line));
        }
        obj.insert("message".into(), json!(self.message));
        if let Some(m) = self.measured {
            obj.insert("measured".into(), number(m));
        }
        if let Some(r) = self.required {
            obj.insert("required".into(), number(r));
        }
        for (k, v) in &self.extra {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(obj)
    }

    /// Read a finding back from its JSON shape (the gate ledger stores them).
    pub fn from_json(v: &Value) -> Option<Finding> {
        let status = match v.get("status")?.as_str()? {
            "pass" => Status::Pass,
            "fail" => Status::Fail,
            "skip" => Status::Skip,
            _ => return None,
        };
        let mut f = Finding::new(status, v.get("id")?.as_str()?, v.get("rule")?.as_str()?, v.get("message")?.as_str()?);
        f.file = v.get("file").and_then(Value::as_str).map(str::to_string);
        f.line = v.get("line").and_then(Value::as_u64).map(|n| n as usize);
        f.measured = v.get("measured").and_then(Value::as_f64);
        f.required = v.get("required").and_then(Value::as_f64);
        if let Some(obj) = v.as_object() {
            for (k, val) in obj {
                if !matches!(
                    k.as_str(),
                    "id" | "rule" | "status" | "file" | "line" | "message" | "measured" | "required"
                ) {
                    f.extra.insert(k.clone(), val.clone());
                }
            }
        }
        Some(f)
    }
}

/// Whole numbers print without a fraction (`600`, not `600.0`).
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_omits_absent_fields_and_round_trips() {
        let f = Finding::fail("words", "section", "section \"Architecture\" has 512 words, needs 600")
            .at("specs/active/x/prd.md", Some(41))
            .measure(512.0, 600.0)
            .with("raw", 530);
        let v = f.to_json();
        assert_eq!(v["measured"], json!(512));
        assert_eq!(v["raw"], json!(530));
        assert_eq!(Finding::from_json(&v), Some(f));
        let bare = Finding::pass("structure", "files", "ok").to_json();
        assert!(bare.get("file").is_none() && bare.get("line").is_none() && bare.get("measured").is_none());
    }
}
