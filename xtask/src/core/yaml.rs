//! The one YAML reader: a document becomes a tree of [`Node`]s that keep the
//! line each value starts on, so findings about a YAML file (the owner's
//! `specs/guides/quality-gates.yaml`) point at a line. yaml-rust2 does the
//! parsing (events with their positions); this module only builds the tree.
use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Yaml;

/// A value and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in document order; a key that is not a scalar is dropped.
    Map(Vec<(String, Node)>),
}

/// Why a document could not be read: a 1-based line and the parser's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

impl Node {
    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A scalar as text (numbers and booleans as written in YAML's core schema).
    pub fn as_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match &self.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            // `threshold: "90"` is still a number to whoever wrote it.
            Value::Str(s) => s.trim().trim_end_matches('%').trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }
}

/// The first document of `text`; None when it is empty.
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| YamlError { line: e.marker().line(), message: e.info().into() })?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder.done)
}

/// Builds the tree from the parser's events.
#[derive(Default)]
struct Builder {
    /// Open collections: the node so far and, for mappings, the pending key.
    stack: Vec<(Node, Option<String>)>,
    anchors: HashMap<usize, Node>,
    /// Anchor ids of the open collections (0: none).
    open_anchors: Vec<usize>,
    done: Option<Node>,
    error: Option<YamlError>,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.done.is_none() {
                    self.done = Some(node);
                }
            }
            Some((parent, key)) => match &mut parent.value {
                Value::Seq(items) => items.push(node),
                Value::Map(entries) => match key.take() {
                    None => *key = Some(key_text(&node)),
                    Some(k) => entries.push((k, node)),
                },
                _ => {}
            },
        }
    }
}

/// A mapping key as text; a collection key (rare, `? [a, b]`) becomes "".
fn key_text(node: &Node) -> String {
    node.as_text().unwrap_or_default()
}

fn scalar(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::Str(text);
    }
    match Yaml::from_str(&text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::Int(i),
        Yaml::Real(r) => r.parse().map_or(Value::Str(text), Value::Float),
        _ => Value::Str(text),
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line();
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let node = Node { line, value: scalar(text, style) };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push_value(node);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push((Node { line, value: Value::Seq(Vec::new()) }, None));
                self.open_anchors.push(anchor);
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push((Node { line, value: Value::Map(Vec::new()) }, None));
                self.open_anchors.push(anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((node, _)) = self.stack.pop() else { return };
                if let Some(anchor) = self.open_anchors.pop().filter(|a| *a > 0) {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push_value(node);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    let node = Node { line, value: node.value.clone() };
                    self.push_value(node);
                }
                None => self.error = Some(YamlError { line, message: "alias to an unknown anchor".into() }),
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_and_types() {
        let doc = parse("# gates\nmetadata:\n  version: \"2.0\"\nitems:\n  - name: a\n    required: false\n    threshold: 85\n  - name: 'b'\n    ratio: 0.5\n    none: ~\n").unwrap().unwrap();
        assert_eq!(doc.get("metadata").unwrap().get("version").unwrap().as_str(), Some("2.0"));
        let items = doc.get("items").unwrap().as_seq().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].line, 5);
        assert_eq!(items[0].get("name").unwrap().line, 5);
        assert_eq!(items[0].get("required").unwrap().as_bool(), Some(false));
        assert_eq!(items[0].get("threshold").unwrap().as_f64(), Some(85.0));
        assert_eq!(items[1].get("name").unwrap().as_str(), Some("b"));
        assert_eq!(items[1].get("ratio").unwrap().value, Value::Float(0.5));
        assert_eq!(items[1].get("none").unwrap().value, Value::Null);
        assert_eq!(items[1].line, 8);
    }

    #[test]
    fn quoted_scalars_stay_text() {
        let doc = parse("a: \"90\"\nb: 'true'\nc: true\nd: \"\\\\| None\"\n").unwrap().unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Str("90".into()));
        assert_eq!(doc.get("a").unwrap().as_f64(), Some(90.0));
        assert_eq!(doc.get("b").unwrap().value, Value::Str("true".into()));
        assert_eq!(doc.get("c").unwrap().value, Value::Bool(true));
        assert_eq!(doc.get("d").unwrap().as_str(), Some("\\| None"));
    }

    #[test]
    fn anchors_and_aliases() {
        let doc = parse("base: &b\n  x: 1\ncopy: *b\n").unwrap().unwrap();
        assert_eq!(doc.get("copy").unwrap().get("x").unwrap().value, Value::Int(1));
        assert_eq!(doc.get("copy").unwrap().line, 3);
    }

    #[test]
    fn errors_name_the_line() {
        // A backslash before `[` is no escape YAML knows (a real file had it).
        let e = parse("rules:\n  - pattern: \"Optional\\[\"\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("escape"), "{}", e.message);
        assert!(parse("a: [1, 2\n").is_err());
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }
}
